import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { ActivityEntry } from "../../domain/Activity.js"
import { EventType } from "../../domain/Events.js"
import { ProjectId } from "../../domain/Ids.js"
import { ActivityRepository } from "../ActivityRepository.js"
import { Timestamp, traced } from "./SqlSupport.js"

// The payload travels as JSON text both ways, as in the outbox: the client's name transforms
// would otherwise rewrite the keys inside it.
const ActivityRow = Schema.Struct({
  ...ActivityEntry.fields,
  occurredAt: Timestamp,
  payload: Schema.parseJson(ActivityEntry.fields.payload)
})
const EntryFromRow = Schema.transform(ActivityRow, Schema.typeSchema(ActivityEntry), {
  strict: true,
  decode: (row) => new ActivityEntry(row, true),
  encode: (entry) => entry
})
const Query = Schema.Struct({
  projectId: ProjectId,
  types: Schema.Array(EventType),
  limit: Schema.Int,
  before: Schema.NullOr(Schema.String)
})

export const SqlActivityRepositoryLive = Layer.effect(
  ActivityRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const record = SqlSchema.findAll({
      Request: EntryFromRow,
      Result: Schema.Struct({ id: Schema.String }),
      execute: (row) => sql`INSERT INTO activity ${sql.insert(row)} ON CONFLICT (id) DO NOTHING RETURNING id`
    })
    const recordMany = SqlSchema.findAll({
      Request: Schema.Array(EntryFromRow),
      Result: Schema.Struct({ id: Schema.String }),
      execute: (rows) => sql`INSERT INTO activity ${sql.insert(rows)} ON CONFLICT (id) DO NOTHING RETURNING id`
    })
    const list = SqlSchema.findAll({
      Request: Query,
      Result: EntryFromRow,
      execute: (q) =>
        sql`SELECT id, project_id, type, aggregate_type, aggregate_id, actor, occurred_at, summary, payload::text AS payload
            FROM activity
            WHERE ${sql.and([
              sql`project_id = ${q.projectId}`,
              ...(q.types.length === 0 ? [] : [sql`type IN ${sql.in(q.types)}`]),
              ...(q.before === null ? [] : [sql`id < ${q.before}`])
            ])}
            ORDER BY id DESC LIMIT ${q.limit}`
    })

    return ActivityRepository.of({
      record: (entry) =>
        record(entry).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlActivityRepository.record")
        ),
      recordMany: (entries) => {
        // Unique and sorted by id: one row per event, row locks taken in one order by every unit.
        const byId = new Map(entries.map((entry) => [entry.id, entry]))
        const rows = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        if (rows.length === 0) return Effect.succeed(0)
        return recordMany(rows).pipe(Effect.map((stored) => stored.length), traced("SqlActivityRepository.recordMany"))
      },
      list: (query) => list(query).pipe(traced("SqlActivityRepository.list")),
      deleteProject: (projectId) =>
        sql`DELETE FROM activity WHERE project_id = ${projectId}`.pipe(Effect.asVoid, traced("SqlActivityRepository.deleteProject"))
    })
  })
)
