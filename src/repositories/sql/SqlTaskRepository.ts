import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import { ColumnId, ProjectId, TaskId, UserId } from "../../domain/Ids.js"
import { Member, Priority, Project, ProjectRole, ProjectStatus, Task } from "../../domain/Model.js"
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
/**
 * A task row with its project's columns (`project_*`) and a membership of the project
 * (`member_*`) beside it: the task read and its access check in one statement.
 */
const TaskAccessRow = Schema.Struct({
  ...TaskRow.fields,
  projectKey: Schema.String,
  projectName: Schema.String,
  projectDescription: Schema.String,
  projectOwnerId: UserId,
  projectStatus: ProjectStatus,
  projectRank: Schema.String,
  projectVersion: Schema.Int,
  projectCreatedAt: Timestamp,
  projectUpdatedAt: Timestamp,
  memberUserId: UserId,
  memberRole: ProjectRole,
  memberAddedAt: Timestamp
})
const TaskAccessFromRow = Schema.transform(
  TaskAccessRow,
  Schema.Struct({ task: Schema.typeSchema(Task), project: Schema.typeSchema(Project), member: Schema.typeSchema(Member) }),
  {
    strict: true,
    decode: (row) => {
      const {
        memberAddedAt, memberRole, memberUserId, projectCreatedAt, projectDescription, projectKey, projectName,
        projectOwnerId, projectRank, projectStatus, projectUpdatedAt, projectVersion, ...task
      } = row
      return {
        task: new Task(task, true),
        project: new Project({
          id: task.projectId,
          key: projectKey,
          name: projectName,
          description: projectDescription,
          ownerId: projectOwnerId,
          status: projectStatus,
          rank: projectRank,
          version: projectVersion,
          createdAt: projectCreatedAt,
          updatedAt: projectUpdatedAt
        }, true),
        member: new Member({ projectId: task.projectId, userId: memberUserId, role: memberRole, addedAt: memberAddedAt }, true)
      }
    },
    encode: ({ member, project, task }) => ({
      ...task,
      projectKey: project.key,
      projectName: project.name,
      projectDescription: project.description,
      projectOwnerId: project.ownerId,
      projectStatus: project.status,
      projectRank: project.rank,
      projectVersion: project.version,
      projectCreatedAt: project.createdAt,
      projectUpdatedAt: project.updatedAt,
      memberUserId: member.userId,
      memberRole: member.role,
      memberAddedAt: member.addedAt
    })
  }
)
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
    const findAccess = SqlSchema.findOne({
      Request: Schema.Struct({ id: TaskId, userId: UserId }),
      Result: TaskAccessFromRow,
      execute: ({ id, userId }) =>
        sql`SELECT t.*, p.key AS project_key, p.name AS project_name, p.description AS project_description,
                   p.owner_id AS project_owner_id, p.status AS project_status, p.rank AS project_rank,
                   p.version AS project_version, p.created_at AS project_created_at, p.updated_at AS project_updated_at,
                   m.user_id AS member_user_id, m.role AS member_role, m.added_at AS member_added_at
            FROM tasks t
            JOIN projects p ON p.id = t.project_id
            JOIN project_members m ON m.project_id = t.project_id AND m.user_id = ${userId}
            WHERE t.id = ${id}`
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
      findAccess: (id, userId) => findAccess({ id, userId }).pipe(traced("SqlTaskRepository.findAccess")),
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
