/**
 * One pass of the outbox relay, in one transaction: claim, publish, mark.
 *
 * Claiming takes up to `batchSize` unpublished rows in id order with `FOR UPDATE SKIP LOCKED`,
 * so relays running at once never take the same row. Per-aggregate order with several relays:
 * a row is held back ("deferred") when an earlier unpublished row of its aggregate is not in
 * this batch, i.e. another relay holds it; it stays unpublished and is taken again after that
 * relay commits. The check runs in the claiming statement, on that statement's snapshot.
 *
 * Publishing happens before the commit. A crash (or a failed commit) between the two leaves
 * the rows unpublished although the transport has them, and they are published again: delivery
 * is at least once, which handlers absorb through their inbox. The opposite order (commit,
 * then publish) could lose events, which the outbox exists to prevent. A transport failure
 * fails the transaction, so nothing is marked and the rows wait for the next attempt.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either, Metric, ParseResult, Schema } from "effect"
import { AggregateType, EventType, type OutboxEnvelope } from "../domain/Events.js"
import { EventId } from "../domain/Ids.js"
import { EventTransport, type TransportError } from "./EventTransport.js"
import { priorityOf } from "./Priority.js"

export const eventsPublished = Metric.counter("flowboard_events_published_total", {
  description: "Outbox events published to the transport (label type)",
  incremental: true
})
export const outboxUndecodable = Metric.counter("flowboard_outbox_undecodable_total", {
  description: "Outbox rows the relay could not read (left in the outbox, with later events of their aggregate)",
  incremental: true
})

/** The payload comes as JSON text: the client's name transform must not rewrite its keys. */
export const ClaimedRow = Schema.Struct({
  id: EventId,
  type: EventType,
  aggregateType: AggregateType,
  aggregateId: Schema.String,
  aggregateVersion: Schema.Int,
  occurredAt: Schema.DateTimeUtcFromDate,
  actor: Schema.NullOr(Schema.String),
  correlationId: Schema.NullOr(Schema.String),
  causationId: Schema.NullOr(Schema.String),
  traceparent: Schema.NullOr(Schema.String),
  payload: Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export const decodeRow = Schema.decodeUnknownEither(ClaimedRow)

export interface BatchResult {
  /** Rows claimed, including deferred and undecodable ones. */
  readonly claimed: number
  readonly published: ReadonlyArray<OutboxEnvelope>
  /** Held back behind an earlier event of their aggregate that another relay holds. */
  readonly deferred: number
}

export const relayBatch = (batchSize: number): Effect.Effect<BatchResult, SqlError | TransportError, SqlClient.SqlClient | EventTransport> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const transport = yield* EventTransport
    const batch = yield* sql.withTransaction(
      Effect.gen(function* () {
        const rows = yield* sql<{ readonly blocked: boolean; readonly aggregateType: string; readonly aggregateId: string }>`
          WITH claimed AS (
            SELECT * FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED
          )
          SELECT c.id, c.type, c.aggregate_type, c.aggregate_id, c.aggregate_version, c.occurred_at, c.actor,
                 c.correlation_id, c.causation_id, c.traceparent, c.payload::text AS payload,
                 EXISTS (
                   SELECT 1 FROM outbox o
                   WHERE o.published_at IS NULL AND o.aggregate_type = c.aggregate_type
                     AND o.aggregate_id = c.aggregate_id AND o.id < c.id
                     AND o.id NOT IN (SELECT id FROM claimed)
                 ) AS blocked
          FROM claimed c ORDER BY c.id`
        const held = new Set<string>()
        const ready: Array<OutboxEnvelope> = []
        let deferred = 0
        for (const row of rows) {
          const aggregate = `${row.aggregateType}/${row.aggregateId}`
          if (row.blocked || held.has(aggregate)) {
            held.add(aggregate)
            deferred += 1
            continue
          }
          const decoded = decodeRow(row)
          if (Either.isLeft(decoded)) {
            // Left unpublished, and so is the rest of its aggregate: order before progress.
            held.add(aggregate)
            yield* Metric.increment(outboxUndecodable)
            yield* Effect.logError(`Outbox row cannot be read; ${aggregate} is held back`).pipe(
              Effect.annotateLogs("reason", ParseResult.TreeFormatter.formatErrorSync(decoded.left))
            )
            continue
          }
          ready.push(decoded.right)
        }
        if (ready.length > 0) {
          yield* transport.publish(ready.map((envelope) => ({ envelope, priority: priorityOf(envelope) })))
          yield* sql`UPDATE outbox SET published_at = now() WHERE ${sql.in("id", ready.map((e) => e.id))}`
        }
        return { claimed: rows.length, published: ready, deferred }
      })
    )
    const byType = new Map<string, number>()
    for (const { type } of batch.published) byType.set(type, (byType.get(type) ?? 0) + 1)
    for (const [type, n] of byType) yield* Metric.incrementBy(Metric.tagged(eventsPublished, "type", type), n)
    return batch
  }).pipe(Effect.withSpan("Relay.relayBatch", { attributes: { batchSize } }))
