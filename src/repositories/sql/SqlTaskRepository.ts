import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import { ColumnId, ProjectId, TaskId, UserId } from "../../domain/Ids.js"
import { Priority, Task } from "../../domain/Model.js"
import { TaskRepository } from "../TaskRepository.js"
import {
  containsPattern,
  decodeCount,
  NullableTimestamp,
  PageRequest,
  RankArrays,
  RankRow,
  requireNextVersion,
  Timestamp,
  neighbourQuery,
  toRankArrays,
  traced
} from "./SqlSupport.js"

const TaskRow = Schema.Struct({
  ...Task.fields,
  dueAt: NullableTimestamp,
  completedAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
const TaskFromRow = Schema.transform(TaskRow, Schema.typeSchema(Task), {
  strict: true,
  decode: (row) => new Task(row, true),
  encode: (task) => task
})
const Filter = Schema.Struct({
  projectId: ProjectId,
  columnId: Schema.NullOr(ColumnId),
  assigneeId: Schema.NullOr(UserId),
  label: Schema.NullOr(Schema.String),
  priority: Schema.NullOr(Priority),
  dueBefore: NullableTimestamp,
  dueAfter: NullableTimestamp,
  search: Schema.NullOr(Schema.String),
  page: PageRequest
})

export const SqlTaskRepositoryLive = Layer.effect(
  TaskRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = SqlSchema.void({
      Request: TaskRow,
      execute: (row) => sql`INSERT INTO tasks ${sql.insert(row)}`
    })
    const findById = SqlSchema.findOne({
      Request: TaskId,
      Result: TaskFromRow,
      execute: (id) => sql`SELECT * FROM tasks WHERE id = ${id}`
    })
    const lockShared = SqlSchema.findOne({
      Request: TaskId,
      Result: TaskFromRow,
      execute: (id) => sql`SELECT * FROM tasks WHERE id = ${id} FOR KEY SHARE`
    })
    const remove = SqlSchema.findOne({
      Request: TaskId,
      Result: TaskFromRow,
      execute: (id) => sql`DELETE FROM tasks WHERE id = ${id} RETURNING *`
    })
    const unassignAll = SqlSchema.findAll({
      Request: Schema.Struct({ projectId: ProjectId, userId: UserId, at: Timestamp }),
      Result: TaskFromRow,
      execute: ({ at, projectId, userId }) =>
        sql`UPDATE tasks SET assignee_id = NULL, version = version + 1, updated_at = ${at}
            WHERE project_id = ${projectId} AND assignee_id = ${userId} RETURNING *`
    })
    const update = SqlSchema.findAll({
      Request: Schema.Struct({ row: TaskRow, expectedVersion: Schema.Int }),
      Result: Schema.Struct({ id: TaskId }),
      execute: ({ expectedVersion, row }) =>
        sql`UPDATE tasks SET ${sql.update(row, ["id"])}
            WHERE id = ${row.id} AND version = ${expectedVersion} RETURNING id`
    })
    const list = SqlSchema.findAll({
      Request: Filter,
      Result: TaskFromRow,
      execute: (f) => {
        const pattern = f.search === null ? null : containsPattern(f.search)
        return sql`SELECT * FROM tasks
          WHERE ${sql.and([
            sql`project_id = ${f.projectId}`,
            ...(f.columnId === null ? [] : [sql`column_id = ${f.columnId}`]),
            ...(f.assigneeId === null ? [] : [sql`assignee_id = ${f.assigneeId}`]),
            ...(f.label === null ? [] : [sql`labels @> ARRAY[${f.label}]::text[]`]),
            ...(f.priority === null ? [] : [sql`priority = ${f.priority}`]),
            ...(f.dueBefore === null ? [] : [sql`due_at < ${f.dueBefore}`]),
            ...(f.dueAfter === null ? [] : [sql`due_at > ${f.dueAfter}`]),
            ...(pattern === null ? [] : [sql`(title ILIKE ${pattern} OR description ILIKE ${pattern})`]),
            ...(f.page.after === null ? [] : [sql`id > ${f.page.after}`])
          ])}
          ORDER BY id LIMIT ${f.page.limit + 1}`
      }
    })
    const listByProject = SqlSchema.findAll({
      Request: ProjectId,
      Result: TaskFromRow,
      execute: (projectId) => sql`SELECT * FROM tasks WHERE project_id = ${projectId} ORDER BY rank, id`
    })
    const neighbourRank = SqlSchema.findOne({
      Request: Schema.Struct({
        columnId: ColumnId,
        anchor: Schema.NullOr(Schema.Struct({ rank: Schema.String, id: TaskId })),
        direction: Schema.Literal("after", "before"),
        exclude: Schema.NullOr(TaskId)
      }),
      Result: Schema.Struct({ rank: Schema.String }),
      execute: ({ anchor, columnId, direction, exclude }) => {
        const neighbour = neighbourQuery(sql, anchor, direction, exclude)
        return sql`SELECT rank FROM tasks
            WHERE ${sql.and([sql`column_id = ${columnId}`, ...neighbour.conditions])}
            ORDER BY ${neighbour.order} LIMIT 1`
      }
    })
    const listRanks = SqlSchema.findAll({
      Request: ColumnId,
      Result: RankRow(TaskId),
      execute: (columnId) => sql`SELECT id, rank FROM tasks WHERE column_id = ${columnId} ORDER BY rank, id`
    })
    // Two array parameters whatever the count, where VALUES would need two per row (and
    // Postgres allows 65,535). The column condition is checked again on the row it updates, so a
    // task moved out by a transaction that committed meanwhile keeps the rank its column gave it.
    const rewriteRanks = SqlSchema.findAll({
      Request: Schema.Struct({ columnId: ColumnId, ranks: RankArrays(TaskId) }),
      Result: Schema.Struct({ id: TaskId }),
      execute: ({ columnId, ranks }) =>
        sql`UPDATE tasks SET rank = fresh.rank, version = tasks.version + 1
            FROM unnest(${ranks.ids}::uuid[], ${ranks.ranks}::text[]) AS fresh(id, rank)
            WHERE tasks.id = fresh.id AND tasks.column_id = ${columnId}
            RETURNING tasks.id`
    })

    return TaskRepository.of({
      insert: (task) => insert(task).pipe(traced("SqlTaskRepository.insert")),
      findById: (id) => findById(id).pipe(traced("SqlTaskRepository.findById")),
      update: (task, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("TaskRepository", task.version, expectedVersion),
          update({ row: task, expectedVersion })
        ).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlTaskRepository.update")
        ),
      lockShared: (id) => lockShared(id).pipe(traced("SqlTaskRepository.lockShared")),
      delete: (id) => remove(id).pipe(traced("SqlTaskRepository.delete")),
      list: (filter, page) => list({ ...filter, page }).pipe(traced("SqlTaskRepository.list")),
      listByProject: (projectId) => listByProject(projectId).pipe(traced("SqlTaskRepository.listByProject")),
      countInColumn: (columnId) =>
        sql`SELECT count(*)::int AS count FROM tasks WHERE column_id = ${columnId}`.pipe(
          Effect.flatMap(decodeCount),
          traced("SqlTaskRepository.countInColumn")
        ),
      neighbourRank: (columnId, anchor, direction, exclude) =>
        neighbourRank({ columnId, anchor, direction, exclude }).pipe(
          Effect.map(Option.map((row) => row.rank)),
          traced("SqlTaskRepository.neighbourRank")
        ),
      listRanks: (columnId) => listRanks(columnId).pipe(traced("SqlTaskRepository.listRanks")),
      rewriteRanks: (columnId, ranks) =>
        (ranks.length === 0 ? Effect.succeed([]) : rewriteRanks({ columnId, ranks: toRankArrays(ranks) })).pipe(
          Effect.map((rows) => rows.length),
          traced("SqlTaskRepository.rewriteRanks")
        ),
      unassignAll: (projectId, userId, at) =>
        unassignAll({ projectId, userId, at }).pipe(traced("SqlTaskRepository.unassignAll"))
    })
  })
)
