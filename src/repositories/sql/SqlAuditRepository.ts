import { SqlClient, type Statement } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { link } from "../../audit/AuditChain.js"
import { AuditDetails, AuditEvent, AuditOutcome } from "../../domain/Audit.js"
import { AuditRepository, type AuditQuery } from "../AuditRepository.js"
import { Timestamp, traced } from "./SqlSupport.js"

/**
 * `details` travels as JSON text both ways (the client's name transform would rewrite its keys);
 * `seq` is a bigint, which the drivers hand over as a string.
 */
const AuditRow = Schema.Struct({
  ...AuditEvent.fields,
  seq: Schema.NumberFromString.pipe(Schema.int()),
  occurredAt: Timestamp,
  outcome: AuditOutcome,
  details: Schema.parseJson(AuditDetails)
})
const AuditFromRow = Schema.transform(AuditRow, Schema.typeSchema(AuditEvent), {
  strict: true,
  decode: (row) => new AuditEvent(row, true),
  encode: (event) => event
})
const decodeRows = Schema.decodeUnknown(Schema.Array(AuditFromRow))
const encodeRows = Schema.encode(Schema.Array(AuditFromRow))

/** `apikey.` as a LIKE pattern matching what starts with it: `%`, `_` and backslash escaped (backslash is LIKE's default escape). */
const prefixPattern = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** One lock for every appender: the head is read and extended by one unit of work at a time. */
const CHAIN_LOCK = 0x61756469 // "audi"

export const SqlAuditRepositoryLive = Layer.effect(
  AuditRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`seq::text AS seq, id, occurred_at, actor_user_id, actor_key_id, actor_address, action, target_type,
      target_id, outcome, correlation_id, details::text AS details, prev_hash, hash`

    const where = (query: AuditQuery, extra: ReadonlyArray<Statement.Fragment>) =>
      sql.and([
        ...(query.actor === null ? [] : [sql`(actor_user_id = ${query.actor} OR actor_key_id = ${query.actor} OR actor_address = ${query.actor})`]),
        ...(query.action === null
          ? []
          : query.action.endsWith(".*")
          ? [sql`action LIKE ${prefixPattern(query.action.slice(0, -1))}`]
          : [sql`action = ${query.action}`]),
        ...(query.targetType === null ? [] : [sql`target_type = ${query.targetType}`]),
        ...(query.targetId === null ? [] : [sql`target_id = ${query.targetId}`]),
        ...(query.since === null ? [] : [sql`occurred_at >= ${new Date(query.since.epochMillis)}`]),
        ...(query.until === null ? [] : [sql`occurred_at < ${new Date(query.until.epochMillis)}`]),
        ...extra
      ])

    return AuditRepository.of({
      // Joins the caller's transaction (a savepoint) or makes its own: the lock lasts until commit,
      // so no other unit reads the head before this one's rows are visible.
      append: (drafts) =>
        drafts.length === 0
          ? Effect.succeed([])
          : sql
              .withTransaction(
                Effect.gen(function* () {
                  yield* sql`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`
                  const [head] = yield* sql<{ readonly seq: string; readonly hash: string }>`SELECT seq::text AS seq, hash FROM audit_events ORDER BY audit_events.seq DESC LIMIT 1`
                  const rows = link(head === undefined ? null : { seq: Number(head.seq), hash: head.hash }, drafts)
                  const encoded = yield* encodeRows(rows)
                  yield* sql`INSERT INTO audit_events ${sql.insert(encoded)}`
                  return rows
                })
              )
              .pipe(traced("SqlAuditRepository.append")),
      list: (query, page) =>
        Effect.flatMap(
          sql`SELECT ${columns} FROM audit_events
              WHERE ${where(query, page.before === null ? [] : [sql`seq < ${page.before}`])}
              ORDER BY audit_events.seq DESC LIMIT ${page.limit}`,
          decodeRows
        ).pipe(traced("SqlAuditRepository.list")),
      ascending: (query, page) =>
        Effect.flatMap(
          sql`SELECT ${columns} FROM audit_events WHERE ${where(query, [sql`seq > ${page.after}`])} ORDER BY audit_events.seq LIMIT ${page.limit}`,
          decodeRows
        ).pipe(traced("SqlAuditRepository.ascending")),
      // The one path the table's trigger lets through: `flowboard.audit_retention`, set for this transaction only.
      prune: (before, limit) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              yield* sql`SELECT set_config('flowboard.audit_retention', 'on', true)`
              const gone = yield* Effect.flatMap(
                // Only a prefix of the chain: up to the first row at or after the cutoff (a row
                // stamped late by a skewed clock keeps the rows after it), and never the newest.
                sql`DELETE FROM audit_events WHERE seq IN (
                      SELECT seq FROM audit_events
                      WHERE seq < LEAST(
                        COALESCE((SELECT min(seq) FROM audit_events WHERE occurred_at >= ${new Date(before.epochMillis)}), 9223372036854775807),
                        (SELECT max(seq) FROM audit_events))
                      ORDER BY seq LIMIT ${limit})
                    RETURNING ${columns}`,
                decodeRows
              )
              yield* sql`SELECT set_config('flowboard.audit_retention', 'off', true)`
              const last = gone.reduce<AuditEvent | null>((max, row) => (max === null || row.seq > max.seq ? row : max), null)
              return { deleted: gone.length, last }
            })
          )
          .pipe(traced("SqlAuditRepository.prune"))
    })
  })
)
