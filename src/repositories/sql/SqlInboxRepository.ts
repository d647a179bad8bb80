import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { EventId } from "../../domain/Ids.js"
import { InboxRepository } from "../InboxRepository.js"
import { Timestamp, traced } from "./SqlSupport.js"

const InboxRow = Schema.Struct({ handler: Schema.String, eventId: EventId, handledAt: Timestamp })

export const SqlInboxRepositoryLive = Layer.effect(
  InboxRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // ON CONFLICT rather than catching 23505: a failed statement would abort the handler's unit.
    const record = SqlSchema.findAll({
      Request: InboxRow,
      Result: Schema.Struct({ eventId: EventId }),
      execute: (row) => sql`INSERT INTO inbox ${sql.insert(row)} ON CONFLICT (handler, event_id) DO NOTHING RETURNING event_id`
    })
    // Sorted, so two units inserting overlapping sets take the rows' locks in the same order.
    const recordMany = SqlSchema.findAll({
      Request: Schema.Array(InboxRow),
      Result: Schema.Struct({ eventId: EventId }),
      execute: (rows) => sql`INSERT INTO inbox ${sql.insert(rows)} ON CONFLICT (handler, event_id) DO NOTHING RETURNING event_id`
    })
    const contains = SqlSchema.findAll({
      Request: Schema.Struct({ handler: Schema.String, eventId: EventId }),
      Result: Schema.Struct({ eventId: EventId }),
      execute: ({ eventId, handler }) => sql`SELECT event_id FROM inbox WHERE handler = ${handler} AND event_id = ${eventId}`
    })

    return InboxRepository.of({
      record: (handler, eventId, handledAt) =>
        record({ handler, eventId, handledAt }).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlInboxRepository.record")
        ),
      recordMany: (handler, eventIds, handledAt) => {
        const unique = [...new Set(eventIds)].sort()
        if (unique.length === 0) return Effect.succeed(new Set<EventId>())
        return recordMany(unique.map((eventId) => ({ handler, eventId, handledAt }))).pipe(
          Effect.map((rows): ReadonlySet<EventId> => new Set(rows.map((row) => row.eventId))),
          traced("SqlInboxRepository.recordMany")
        )
      },
      contains: (handler, eventId) =>
        contains({ handler, eventId }).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlInboxRepository.contains")
        )
    })
  })
)
