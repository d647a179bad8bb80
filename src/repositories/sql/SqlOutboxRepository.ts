import { SqlClient, SqlSchema } from "@effect/sql"
import { DateTime, Effect, Layer, Schema } from "effect"
import { RepositoryError } from "../../domain/Errors.js"
import { Envelope, type OutboxEnvelope } from "../../domain/Events.js"
import { OutboxRepository } from "../OutboxRepository.js"
import { OutboxWakeUp } from "./OutboxWakeUp.js"
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
    const wakeUp = yield* OutboxWakeUp

    // Rows are written out field by field, not through `EnvelopeRow`'s encoder: an envelope is
    // typed by construction, and validating it again was a tenth of a producer's cost per event.
    const rowsOf = (events: ReadonlyArray<OutboxEnvelope>) =>
      Effect.try({
        try: () =>
          events.map((event) => ({
            id: event.id,
            type: event.type,
            aggregateType: event.aggregateType,
            aggregateId: event.aggregateId,
            aggregateVersion: event.aggregateVersion,
            occurredAt: DateTime.toDateUtc(event.occurredAt),
            actor: event.actor,
            correlationId: event.correlationId,
            causationId: event.causationId,
            traceparent: event.traceparent,
            payload: JSON.stringify(event.payload)
          } satisfies typeof EnvelopeRow.Encoded)),
        catch: (cause) => new RepositoryError({ message: "outbox: an event's payload cannot be stored as JSON", transient: false, cause })
      })
    const insert = (rows: ReadonlyArray<typeof EnvelopeRow.Encoded>) => sql`INSERT INTO outbox ${sql.insert(rows)}`.pipe(traced("SqlOutboxRepository.append"), Effect.zipRight(wakeUp.appended))
    const listAll = SqlSchema.findAll({
      Request: Schema.Void,
      Result: EnvelopeRow,
      execute: () =>
        sql`SELECT id, type, aggregate_type, aggregate_id, aggregate_version, occurred_at, actor,
                   correlation_id, causation_id, traceparent, payload::text AS payload
            FROM outbox ORDER BY id`
    })

    return OutboxRepository.of({
      append: (events) => (events.length === 0 ? Effect.void : Effect.flatMap(rowsOf(events), insert)),
      listAll: listAll(undefined).pipe(traced("SqlOutboxRepository.listAll"))
    })
  })
)
