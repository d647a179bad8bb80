import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Envelope } from "../../domain/Events.js"
import { OutboxRepository } from "../OutboxRepository.js"
import { Timestamp, traced } from "./SqlSupport.js"

/**
 * The payload travels as JSON text both ways: the client's result-name transform would otherwise
 * rewrite snake_case keys *inside* the parsed jsonb, and the payload is not ours to rename.
 */
const EnvelopeRow = Schema.Struct({
  ...Envelope.fields,
  occurredAt: Timestamp,
  payload: Schema.parseJson(Envelope.fields.payload)
})

export const SqlOutboxRepositoryLive = Layer.effect(
  OutboxRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const append = SqlSchema.void({
      Request: Schema.Array(EnvelopeRow),
      execute: (rows) => (rows.length === 0 ? Effect.void : sql`INSERT INTO outbox ${sql.insert(rows)}`)
    })
    const listAll = SqlSchema.findAll({
      Request: Schema.Void,
      Result: EnvelopeRow,
      execute: () =>
        sql`SELECT id, type, aggregate_type, aggregate_id, aggregate_version, occurred_at, actor,
                   correlation_id, causation_id, traceparent, payload::text AS payload
            FROM outbox ORDER BY id`
    })

    return OutboxRepository.of({
      append: (events) => append(events).pipe(traced("SqlOutboxRepository.append")),
      listAll: listAll(undefined).pipe(traced("SqlOutboxRepository.listAll"))
    })
  })
)
