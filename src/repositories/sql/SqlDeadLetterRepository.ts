import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { CauseLink, DeadLetter, DeadLetterId, DeadLetterStatus, Envelope } from "../../domain/DeadLetter.js"
import { UserId } from "../../domain/Ids.js"
import { DeadLetterRepository } from "../DeadLetterRepository.js"
import { NullableTimestamp, PageRequest, Timestamp, traced } from "./SqlSupport.js"

/**
 * The envelope and the cause chain travel as JSON text both ways: the client's result-name
 * transform would otherwise rewrite the keys inside the event payload, which is not ours.
 */
const DeadLetterRow = Schema.Struct({
  ...DeadLetter.fields,
  envelope: Schema.parseJson(Envelope),
  causeChain: Schema.parseJson(Schema.Array(CauseLink)),
  firstFailedAt: Timestamp,
  lastFailedAt: Timestamp,
  replayedAt: NullableTimestamp,
  createdAt: Timestamp
})
const DeadLetterFromRow = Schema.transform(DeadLetterRow, Schema.typeSchema(DeadLetter), {
  strict: true,
  decode: (row) => new DeadLetter(row, true),
  encode: (letter) => letter
})

const ListRequest = Schema.Struct({
  ...PageRequest.fields,
  handler: Schema.NullOr(Schema.String),
  status: Schema.NullOr(DeadLetterStatus)
})
const Replayed = Schema.Struct({ id: DeadLetterId, by: Schema.NullOr(UserId), at: Timestamp })

export const SqlDeadLetterRepositoryLive = Layer.effect(
  DeadLetterRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, handler, event_id, event_type, envelope::text AS envelope, attempts, first_failed_at,
      last_failed_at, error, cause, cause_chain::text AS cause_chain, status, replayed_at, replayed_by, created_at`

    // One letter per (handler, event); see the port for how a second failure folds into it.
    const record = SqlSchema.single({
      Request: DeadLetterFromRow,
      Result: DeadLetterFromRow,
      execute: (row) =>
        sql`INSERT INTO dead_letters ${sql.insert(row)}
            ON CONFLICT (handler, event_id) DO UPDATE SET
              attempts = dead_letters.attempts + excluded.attempts,
              first_failed_at = LEAST(dead_letters.first_failed_at, excluded.first_failed_at),
              last_failed_at = excluded.last_failed_at,
              error = excluded.error, cause = excluded.cause, cause_chain = excluded.cause_chain,
              status = 'pending', replayed_at = NULL, replayed_by = NULL
            RETURNING ${columns}`
    })
    const findById = SqlSchema.findOne({
      Request: DeadLetterId,
      Result: DeadLetterFromRow,
      execute: (id) => sql`SELECT ${columns} FROM dead_letters WHERE id = ${id}`
    })
    const list = SqlSchema.findAll({
      Request: ListRequest,
      Result: DeadLetterFromRow,
      execute: ({ after, handler, limit, status }) =>
        sql`SELECT ${columns} FROM dead_letters WHERE TRUE
            ${handler === null ? sql`` : sql`AND handler = ${handler}`}
            ${status === null ? sql`` : sql`AND status = ${status}`}
            ${after === null ? sql`` : sql`AND id > ${after}`}
            ORDER BY id LIMIT ${limit + 1}`
    })
    const markReplayed = SqlSchema.findAll({
      Request: Replayed,
      Result: Schema.Struct({ id: DeadLetterId }),
      execute: ({ at, by, id }) =>
        sql`UPDATE dead_letters SET status = 'replayed', replayed_at = ${at}, replayed_by = ${by} WHERE id = ${id} RETURNING id`
    })
    const remove = SqlSchema.findAll({
      Request: DeadLetterId,
      Result: Schema.Struct({ id: DeadLetterId }),
      execute: (id) => sql`DELETE FROM dead_letters WHERE id = ${id} RETURNING id`
    })

    return DeadLetterRepository.of({
      record: ({ createdAt, envelope, failure, handler, id }) =>
        record(
          new DeadLetter({
            id, handler, eventId: envelope.id, eventType: envelope.type, envelope, ...failure,
            status: "pending", replayedAt: null, replayedBy: null, createdAt
          })
        ).pipe(
          // An upsert with RETURNING always answers with the row; none would be a driver bug.
          Effect.catchTag("NoSuchElementException", () => Effect.dieMessage("dead_letters upsert returned no row")),
          traced("SqlDeadLetterRepository.record")
        ),
      findById: (id) => findById(id).pipe(traced("SqlDeadLetterRepository.findById")),
      list: (filter, page) => list({ ...filter, ...page }).pipe(traced("SqlDeadLetterRepository.list")),
      markReplayed: (id, by, at) =>
        markReplayed({ id, by, at }).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlDeadLetterRepository.markReplayed")
        ),
      remove: (id) =>
        remove(id).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlDeadLetterRepository.remove")
        )
    })
  })
)
