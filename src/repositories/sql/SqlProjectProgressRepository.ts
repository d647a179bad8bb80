import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { ProjectId } from "../../domain/Ids.js"
import { ColumnProgress, ProgressCounts } from "../../domain/Progress.js"
import { ProjectProgressRepository } from "../ProjectProgressRepository.js"
import { decodeCount, Timestamp, traced } from "./SqlSupport.js"

// Columns travel as JSON text both ways, so the client's name transforms leave their keys alone.
const CountsRow = Schema.Struct({
  ...ProgressCounts.fields,
  columns: Schema.parseJson(ProgressCounts.fields.columns),
  updatedAt: Timestamp
})
const CountsFromRow = Schema.transform(CountsRow, Schema.typeSchema(ProgressCounts), {
  strict: true,
  decode: (row) => new ProgressCounts(row, true),
  encode: (counts) => counts
})

// A lock class of its own for `pg_advisory_xact_lock(int, int)`, apart from the migrator's.
const PROGRESS_LOCK_CLASS = 4004

export const SqlProjectProgressRepositoryLive = Layer.effect(
  ProjectProgressRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const countByColumn = SqlSchema.findAll({
      Request: ProjectId,
      Result: ColumnProgress,
      execute: (projectId) =>
        sql`SELECT c.id AS column_id, c.name, c.is_done, count(t.id)::int AS tasks
            FROM board_columns c LEFT JOIN tasks t ON t.column_id = c.id
            WHERE c.project_id = ${projectId}
            GROUP BY c.id, c.name, c.is_done, c.rank
            ORDER BY c.rank, c.id`
    })
    const save = SqlSchema.void({
      Request: CountsFromRow,
      execute: (row) =>
        sql`INSERT INTO project_progress ${sql.insert(row)}
            ON CONFLICT (project_id) DO UPDATE
            SET columns = excluded.columns, updated_at = excluded.updated_at, last_event_id = excluded.last_event_id`
    })
    const find = SqlSchema.findOne({
      Request: ProjectId,
      Result: CountsFromRow,
      execute: (projectId) =>
        sql`SELECT project_id, columns::text AS columns, updated_at, last_event_id FROM project_progress WHERE project_id = ${projectId}`
    })

    return ProjectProgressRepository.of({
      // An advisory lock needs no row to exist yet; it is released when the transaction ends.
      lock: (projectId) =>
        sql`SELECT pg_advisory_xact_lock(${PROGRESS_LOCK_CLASS}, hashtext(${projectId}))`.pipe(
          Effect.asVoid,
          traced("SqlProjectProgressRepository.lock")
        ),
      countByColumn: (projectId) => countByColumn(projectId).pipe(traced("SqlProjectProgressRepository.countByColumn")),
      save: (counts) => save(counts).pipe(traced("SqlProjectProgressRepository.save")),
      find: (projectId) => find(projectId).pipe(traced("SqlProjectProgressRepository.find")),
      delete: (projectId) =>
        sql`DELETE FROM project_progress WHERE project_id = ${projectId}`.pipe(Effect.asVoid, traced("SqlProjectProgressRepository.delete")),
      countOverdue: (projectId, now) =>
        Schema.encode(Timestamp)(now).pipe(
          Effect.flatMap(
            (at) =>
              sql`SELECT count(*)::int AS count FROM tasks t JOIN board_columns c ON c.id = t.column_id
                  WHERE t.project_id = ${projectId} AND t.due_at < ${at} AND NOT c.is_done`
          ),
          Effect.flatMap(decodeCount),
          traced("SqlProjectProgressRepository.countOverdue")
        )
    })
  })
)
