import { SqlClient, SqlSchema } from "@effect/sql"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { EventId, ProjectId, UserId } from "../../domain/Ids.js"
import { Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, Webhook, WebhookEventType, WebhookId } from "../../domain/Webhook.js"
import { secretPrefix } from "../../webhooks/Signature.js"
import { type DueDelivery, type StoredWebhook, WebhookRepository } from "../WebhookRepository.js"
import { decodeCount, NullableTimestamp, requireNextVersion, Timestamp, traced } from "./SqlSupport.js"

const EventTypes = Schema.NullOr(Schema.parseJson(Schema.Array(WebhookEventType)))

const WebhookRow = Schema.Struct({
  id: WebhookId,
  projectId: ProjectId,
  url: Schema.String,
  description: Schema.String,
  // jsonb comes back parsed from Postgres and as text from some drivers: accept both.
  eventTypes: Schema.Union(Schema.NullOr(Schema.Array(WebhookEventType)), EventTypes),
  active: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String),
  disabledAt: NullableTimestamp,
  failingSince: NullableTimestamp,
  secret: Schema.String,
  previousSecret: Schema.NullOr(Schema.String),
  previousSecretExpiresAt: NullableTimestamp,
  createdBy: UserId,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Schema.Int
})
type WebhookRow = typeof WebhookRow.Type

// Field by field: the row holds the secrets, which must never ride along on the public shape.
const toStored = (row: WebhookRow): StoredWebhook => ({
  webhook: new Webhook(
    {
      id: row.id,
      projectId: row.projectId,
      url: row.url,
      description: row.description,
      eventTypes: row.eventTypes,
      active: row.active,
      disabledReason: row.disabledReason,
      disabledAt: row.disabledAt,
      failingSince: row.failingSince,
      secretPrefix: secretPrefix(row.secret),
      previousSecretExpiresAt: row.previousSecretExpiresAt,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      version: row.version
    },
    true
  ),
  secret: row.secret,
  previousSecret: row.previousSecret
})

const AttemptRow = Schema.Struct({
  deliveryId: DeliveryId,
  attempt: Schema.Int,
  startedAt: Timestamp,
  durationMs: Schema.Int,
  statusCode: Schema.NullOr(Schema.Int),
  responseBody: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  success: Schema.Boolean
})

const DeliveryRow = Schema.Struct({
  id: DeliveryId,
  webhookId: WebhookId,
  eventId: EventId,
  eventType: WebhookEventType,
  status: DeliveryStatus,
  nextAttemptAt: Timestamp,
  createdAt: Timestamp,
  finishedAt: NullableTimestamp
})

const DueRow = Schema.Struct({
  deliveryId: DeliveryId,
  eventId: EventId,
  eventType: WebhookEventType,
  body: Schema.String,
  attempts: Schema.Int,
  ...WebhookRow.fields
})

const dueOf = (row: typeof DueRow.Type): DueDelivery => ({
  id: row.deliveryId,
  eventId: row.eventId,
  eventType: row.eventType,
  body: row.body,
  attempts: row.attempts,
  subscription: toStored(row)
})

const CountsRow = Schema.Struct({ active: Schema.Int, disabled: Schema.Int, pending: Schema.Int })

export const SqlWebhookRepositoryLive = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columnsOf = (stored: StoredWebhook) => {
      const w = stored.webhook
      return {
        id: w.id,
        project_id: w.projectId,
        url: w.url,
        description: w.description,
        event_types: w.eventTypes === null ? null : JSON.stringify(w.eventTypes),
        active: w.active,
        disabled_reason: w.disabledReason,
        disabled_at: w.disabledAt === null ? null : DateTime.toDate(w.disabledAt),
        failing_since: w.failingSince === null ? null : DateTime.toDate(w.failingSince),
        secret: stored.secret,
        previous_secret: stored.previousSecret,
        previous_secret_expires_at: w.previousSecretExpiresAt === null ? null : DateTime.toDate(w.previousSecretExpiresAt),
        created_by: w.createdBy,
        created_at: DateTime.toDate(w.createdAt),
        updated_at: DateTime.toDate(w.updatedAt),
        version: w.version
      }
    }

    const find = SqlSchema.findOne({ Request: WebhookId, Result: WebhookRow, execute: (id) => sql`SELECT * FROM webhooks WHERE id = ${id}` })
    const attemptsOf = SqlSchema.findAll({
      Request: Schema.Array(DeliveryId),
      Result: AttemptRow,
      execute: (ids) => sql`SELECT * FROM webhook_attempts WHERE delivery_id IN ${sql.in(ids)} ORDER BY delivery_id, attempt`
    })
    const withAttempts = (rows: ReadonlyArray<typeof DeliveryRow.Type>) =>
      rows.length === 0
        ? Effect.succeed([])
        : Effect.map(attemptsOf(rows.map((r) => r.id)), (attempts) =>
          rows.map((row) =>
            new Delivery({
              ...row,
              nextAttemptAt: row.status === "pending" ? row.nextAttemptAt : null,
              attempts: attempts.filter((a) => a.deliveryId === row.id).map(({ deliveryId: _, ...a }) => new DeliveryAttempt(a, true))
            }, true)
          ))
    const deliveryColumns = sql`id, webhook_id, event_id, event_type, status, next_attempt_at, created_at, finished_at`

    return WebhookRepository.of({
      insert: (stored) => sql`INSERT INTO webhooks ${sql.insert(columnsOf(stored))}`.pipe(Effect.asVoid, traced("SqlWebhookRepository.insert")),
      find: (id) => find(id).pipe(Effect.map(Option.map(toStored)), traced("SqlWebhookRepository.find")),
      update: (stored, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("webhooks", stored.webhook.version, expectedVersion),
          sql`UPDATE webhooks SET ${sql.update(columnsOf(stored), ["id"])} WHERE id = ${stored.webhook.id} AND version = ${expectedVersion} RETURNING id`.pipe(
            Effect.map((rows) => rows.length > 0),
            traced("SqlWebhookRepository.update")
          )
        ),
      delete: (id) => sql`DELETE FROM webhooks WHERE id = ${id} RETURNING id`.pipe(Effect.map((rows) => rows.length > 0), traced("SqlWebhookRepository.delete")),
      listByProject: (projectId, page) =>
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: WebhookRow,
          execute: () =>
            sql`SELECT * FROM webhooks WHERE project_id = ${projectId} ${page.after === null ? sql`` : sql`AND id > ${page.after}`}
                ORDER BY id LIMIT ${page.limit + 1}`
        })(undefined).pipe(Effect.map((rows) => rows.map((row) => toStored(row).webhook)), traced("SqlWebhookRepository.listByProject")),
      subscribers: (projectId, type) =>
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: Schema.Struct({ id: WebhookId }),
          execute: () =>
            sql`SELECT id FROM webhooks WHERE project_id = ${projectId}
                AND (event_types IS NULL OR event_types @> ${JSON.stringify([type])}::jsonb) ORDER BY id`
        })(undefined).pipe(Effect.map((rows) => rows.map((row) => row.id)), traced("SqlWebhookRepository.subscribers")),
      enqueue: (deliveries) =>
        deliveries.length === 0
          ? Effect.void
          : sql`INSERT INTO webhook_deliveries ${sql.insert(
            deliveries.map((d) => ({
              id: d.id,
              webhook_id: d.webhookId,
              event_id: d.eventId,
              event_type: d.eventType,
              body: d.body,
              status: "pending",
              next_attempt_at: DateTime.toDate(d.createdAt),
              created_at: DateTime.toDate(d.createdAt)
            }))
          )} ON CONFLICT (webhook_id, event_id) DO NOTHING`.pipe(Effect.asVoid, traced("SqlWebhookRepository.enqueue")),
      claimDue: (now, leaseUntil, limit) =>
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: DueRow,
          // The head of each active subscription's queue (an index probe each); a head leased by
          // another worker keeps its subscription waiting, so order holds. The update re-checks
          // the lease under the row lock: of two workers racing for a head, one gets it.
          execute: () =>
            sql`WITH heads AS (
                  SELECT d.id FROM webhooks w
                  CROSS JOIN LATERAL (
                    SELECT id, next_attempt_at, lease_until FROM webhook_deliveries
                    WHERE webhook_id = w.id AND status = 'pending' ORDER BY seq LIMIT 1
                  ) d
                  WHERE w.active AND d.next_attempt_at <= ${DateTime.toDate(now)}
                    AND (d.lease_until IS NULL OR d.lease_until <= ${DateTime.toDate(now)})
                  ORDER BY d.next_attempt_at LIMIT ${limit}
                ), leased AS (
                  UPDATE webhook_deliveries d SET lease_until = ${DateTime.toDate(leaseUntil)}
                  FROM heads WHERE d.id = heads.id AND d.status = 'pending'
                    AND (d.lease_until IS NULL OR d.lease_until <= ${DateTime.toDate(now)})
                  RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.body
                )
                SELECT l.id AS delivery_id, l.event_id, l.event_type, l.body,
                  (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = l.id) AS attempts, w.*
                FROM leased l JOIN webhooks w ON w.id = l.webhook_id`
        })(undefined).pipe(
          Effect.map((rows) => rows.map(dueOf)),
          traced("SqlWebhookRepository.claimDue")
        ),
      // One statement, so one round trip and atomic without a transaction of its own. Every CTE
      // reads the snapshot before it, where this delivery is still pending: the successor is the
      // first pending delivery of the subscription other than it.
      recordAttempt: (id, attempt, result, leaseNext) => {
        const inserted = sql`INSERT INTO webhook_attempts ${sql.insert({
          delivery_id: id,
          attempt: attempt.attempt,
          started_at: DateTime.toDate(attempt.startedAt),
          duration_ms: attempt.durationMs,
          status_code: attempt.statusCode,
          response_body: attempt.responseBody,
          error: attempt.error,
          success: attempt.success
        })} ON CONFLICT (delivery_id, attempt) DO NOTHING`
        if (result._tag === "Retry") {
          return sql`WITH attempt AS (${inserted})
            UPDATE webhook_deliveries SET lease_until = NULL, next_attempt_at = ${DateTime.toDate(result.at)} WHERE id = ${id}`.pipe(
            Effect.as(Option.none<DueDelivery>()),
            traced("SqlWebhookRepository.recordAttempt")
          )
        }
        const finish = sql`UPDATE webhook_deliveries SET lease_until = NULL, status = ${result.status}, finished_at = ${DateTime.toDate(result.at)} WHERE id = ${id} RETURNING webhook_id`
        if (leaseNext === undefined) {
          return sql`WITH attempt AS (${inserted}) ${finish}`.pipe(Effect.as(Option.none<DueDelivery>()), traced("SqlWebhookRepository.recordAttempt"))
        }
        const now = DateTime.toDate(leaseNext.now)
        return SqlSchema.findAll({
          Request: Schema.Void,
          Result: DueRow,
          execute: () =>
            sql`WITH attempt AS (${inserted}), done AS (${finish}), head AS (
                  SELECT d.id FROM webhook_deliveries d
                  WHERE d.webhook_id = ${leaseNext.webhookId} AND d.status = 'pending' AND d.id <> ${id}
                    AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ${leaseNext.webhookId} AND w.active)
                  ORDER BY d.seq LIMIT 1
                ), leased AS (
                  UPDATE webhook_deliveries d SET lease_until = ${DateTime.toDate(leaseNext.until)} FROM head
                  WHERE d.id = head.id AND d.next_attempt_at <= ${now} AND (d.lease_until IS NULL OR d.lease_until <= ${now})
                  RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.body
                )
                SELECT l.id AS delivery_id, l.event_id, l.event_type, l.body,
                  (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = l.id) AS attempts, w.*
                FROM leased l JOIN webhooks w ON w.id = l.webhook_id`
        })(undefined).pipe(
          Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), dueOf)),
          traced("SqlWebhookRepository.recordAttempt")
        )
      },
      defer: (id, at) =>
        sql`UPDATE webhook_deliveries SET lease_until = NULL, next_attempt_at = ${DateTime.toDate(at)} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          traced("SqlWebhookRepository.defer")
        ),
      setFailingSince: (id, since) =>
        sql`UPDATE webhooks SET failing_since = ${since === null ? null : DateTime.toDate(since)} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          traced("SqlWebhookRepository.setFailingSince")
        ),
      findDelivery: (id) =>
        SqlSchema.findAll({ Request: Schema.Void, Result: DeliveryRow, execute: () => sql`SELECT ${deliveryColumns} FROM webhook_deliveries WHERE id = ${id}` })(undefined).pipe(
          Effect.flatMap(withAttempts),
          Effect.map((rows) => Option.fromNullable(rows[0])),
          traced("SqlWebhookRepository.findDelivery")
        ),
      listDeliveries: (webhookId, filter, page) =>
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: DeliveryRow,
          execute: () =>
            sql`SELECT ${deliveryColumns} FROM webhook_deliveries d WHERE webhook_id = ${webhookId}
                ${filter.status === null ? sql`` : sql`AND status = ${filter.status}`}
                ${filter.failedOnly ? sql`AND EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id AND NOT a.success)` : sql``}
                ${page.after === null ? sql`` : sql`AND id < ${page.after}`}
                ORDER BY id DESC LIMIT ${page.limit + 1}`
        })(undefined).pipe(Effect.flatMap(withAttempts), traced("SqlWebhookRepository.listDeliveries")),
      redeliver: (id, now) =>
        sql`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ${DateTime.toDate(now)}, finished_at = NULL
            WHERE id = ${id} RETURNING id`.pipe(Effect.map((rows) => rows.length > 0), traced("SqlWebhookRepository.redeliver")),
      skipPending: (webhookId, now) =>
        sql`UPDATE webhook_deliveries SET status = 'skipped', lease_until = NULL, finished_at = ${DateTime.toDate(now)}
            WHERE webhook_id = ${webhookId} AND status = 'pending' RETURNING id`.pipe(Effect.map((rows) => rows.length), traced("SqlWebhookRepository.skipPending")),
      counts: SqlSchema.findAll({
        Request: Schema.Void,
        Result: CountsRow,
        execute: () =>
          sql`SELECT (SELECT count(*)::int FROM webhooks WHERE active) AS active,
                     (SELECT count(*)::int FROM webhooks WHERE NOT active) AS disabled,
                     (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'pending') AS pending`
      })(undefined).pipe(Effect.map((rows) => rows[0] ?? { active: 0, disabled: 0, pending: 0 }), traced("SqlWebhookRepository.counts")),
      prune: (before) =>
        sql`WITH gone AS (DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < ${DateTime.toDate(before)} RETURNING 1)
            SELECT count(*)::int AS count FROM gone`.pipe(Effect.flatMap(decodeCount), traced("SqlWebhookRepository.prune"))
    })
  })
)
