import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import { RepositoryError } from "../../domain/Errors.js"
import { ProjectId, UserId } from "../../domain/Ids.js"
import { Member, Project, ProjectRole, ProjectStatus } from "../../domain/Model.js"
import { ProjectRepository } from "../ProjectRepository.js"
import { toRepositoryError } from "./SqlErrors.js"
import {
  containsPattern,
  neighbourQuery,
  PageRequest,
  RankArrays,
  RankRow,
  requireNextVersion,
  Timestamp,
  toRankArrays,
  traced
} from "./SqlSupport.js"

const ProjectRow = Schema.Struct({ ...Project.fields, createdAt: Timestamp, updatedAt: Timestamp })
const ProjectFromRow = Schema.transform(ProjectRow, Schema.typeSchema(Project), {
  strict: true,
  decode: (row) => new Project(row, true),
  encode: (project) => project
})
const MemberRow = Schema.Struct({ ...Member.fields, addedAt: Timestamp })
const MemberFromRow = Schema.transform(MemberRow, Schema.typeSchema(Member), {
  strict: true,
  decode: (row) => new Member(row, true),
  encode: (member) => member
})
/** A project row with a membership of it beside it (`member_user_id`, `member_role`, `member_added_at`). */
export const AccessRow = Schema.Struct({
  ...ProjectRow.fields,
  memberUserId: UserId,
  memberRole: ProjectRole,
  memberAddedAt: Timestamp
})
const AccessFromRow = Schema.transform(
  AccessRow,
  Schema.Struct({ project: Schema.typeSchema(Project), member: Schema.typeSchema(Member) }),
  {
    strict: true,
    decode: ({ memberAddedAt, memberRole, memberUserId, ...project }) => ({
      project: new Project(project, true),
      member: new Member({ projectId: project.id, userId: memberUserId, role: memberRole, addedAt: memberAddedAt }, true)
    }),
    encode: ({ member, project }) => ({
      ...project,
      memberUserId: member.userId,
      memberRole: member.role,
      memberAddedAt: member.addedAt
    })
  }
)
const Filter = Schema.Struct({
  memberId: UserId,
  status: Schema.NullOr(ProjectStatus),
  search: Schema.NullOr(Schema.String),
  page: PageRequest
})
const Returned = Schema.Struct({ id: ProjectId })

export const SqlProjectRepositoryLive = Layer.effect(
  ProjectRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // ON CONFLICT rather than catching 23505: a failed statement would abort the caller's transaction.
    const insert = SqlSchema.findAll({
      Request: ProjectRow,
      Result: Returned,
      execute: (row) => sql`INSERT INTO projects ${sql.insert(row)} ON CONFLICT (key) DO NOTHING RETURNING id`
    })
    const findById = SqlSchema.findOne({
      Request: ProjectId,
      Result: ProjectFromRow,
      execute: (id) => sql`SELECT * FROM projects WHERE id = ${id}`
    })
    const update = SqlSchema.findAll({
      Request: Schema.Struct({ row: ProjectRow, expectedVersion: Schema.Int }),
      Result: Returned,
      execute: ({ row, expectedVersion }) =>
        sql`UPDATE projects SET ${sql.update(row, ["id"])}
            WHERE id = ${row.id} AND version = ${expectedVersion} RETURNING id`
    })
    const matchesText = (pattern: string) =>
      sql`(p.name ILIKE ${pattern} OR p.key ILIKE ${pattern} OR p.description ILIKE ${pattern})`
    const list = SqlSchema.findAll({
      Request: Filter,
      Result: ProjectFromRow,
      execute: ({ memberId, page, search, status }) =>
        sql`SELECT p.* FROM projects p
            JOIN project_members m ON m.project_id = p.id AND m.user_id = ${memberId}
            WHERE ${sql.and([
              ...(status === null ? [] : [sql`p.status = ${status}`]),
              ...(search === null ? [] : [matchesText(containsPattern(search))]),
              ...(page.after === null ? [] : [sql`p.id > ${page.after}`])
            ])}
            ORDER BY p.id LIMIT ${page.limit + 1}`
    })
    const neighbourRank = SqlSchema.findOne({
      Request: Schema.Struct({
        status: ProjectStatus,
        anchor: Schema.NullOr(Schema.Struct({ rank: Schema.String, id: ProjectId })),
        direction: Schema.Literal("after", "before"),
        exclude: Schema.NullOr(ProjectId)
      }),
      Result: Schema.Struct({ rank: Schema.String }),
      execute: ({ anchor, direction, exclude, status }) => {
        const neighbour = neighbourQuery(sql, anchor, direction, exclude)
        return sql`SELECT rank FROM projects
            WHERE ${sql.and([sql`status = ${status}`, ...neighbour.conditions])}
            ORDER BY ${neighbour.order} LIMIT 1`
      }
    })
    // The newest outbox rows by primary key (bounded, whatever the table's size), grouped by project.
    const recentlyActive = SqlSchema.findAll({
      Request: Schema.Int,
      Result: Schema.Struct({ id: ProjectId }),
      execute: (limit) => sql`
        SELECT p.id FROM (
          SELECT CASE WHEN aggregate_type = 'project' THEN aggregate_id ELSE payload->>'projectId' END AS project_id, id
          FROM outbox ORDER BY id DESC LIMIT 2000
        ) recent
        JOIN projects p ON p.id::text = recent.project_id
        GROUP BY p.id ORDER BY max(recent.id) DESC LIMIT ${limit}`
    })
    const listRanks = SqlSchema.findAll({
      Request: ProjectStatus,
      Result: RankRow(ProjectId),
      execute: (status) => sql`SELECT id, rank FROM projects WHERE status = ${status} ORDER BY rank, id`
    })
    // As the task adapter's: one statement, and a project moved to another status meanwhile is left alone.
    const rewriteRanks = SqlSchema.findAll({
      Request: Schema.Struct({ status: ProjectStatus, ranks: RankArrays(ProjectId) }),
      Result: Returned,
      execute: ({ ranks, status }) =>
        sql`UPDATE projects SET rank = fresh.rank, version = projects.version + 1
            FROM unnest(${ranks.ids}::uuid[], ${ranks.ranks}::text[]) AS fresh(id, rank)
            WHERE projects.id = fresh.id AND projects.status = ${status}
            RETURNING projects.id`
    })
    const nextTaskNumber = SqlSchema.findOne({
      Request: ProjectId,
      Result: Schema.Struct({ taskSeq: Schema.Int }),
      execute: (id) => sql`UPDATE projects SET task_seq = task_seq + 1 WHERE id = ${id} RETURNING task_seq`
    })

    const addMember = SqlSchema.findAll({
      Request: MemberRow,
      Result: Schema.Struct({ userId: UserId }),
      execute: (row) =>
        sql`INSERT INTO project_members ${sql.insert(row)}
            ON CONFLICT (project_id, user_id) DO NOTHING RETURNING user_id`
    })
    // Only the role changes: `added_at` records history and orders the member list.
    const updateMember = SqlSchema.void({
      Request: MemberRow,
      execute: (row) =>
        sql`UPDATE project_members SET role = ${row.role}
            WHERE project_id = ${row.projectId} AND user_id = ${row.userId}`
    })
    const findAccess = SqlSchema.findOne({
      Request: Schema.Struct({ projectId: ProjectId, userId: UserId, keyShare: Schema.Boolean }),
      Result: AccessFromRow,
      execute: ({ keyShare, projectId, userId }) =>
        sql`SELECT p.*, m.user_id AS member_user_id, m.role AS member_role, m.added_at AS member_added_at
            FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
            WHERE p.id = ${projectId} ${keyShare ? sql`FOR KEY SHARE OF p` : sql``}`
    })
    const findMember = SqlSchema.findOne({
      Request: Schema.Struct({ projectId: ProjectId, userId: UserId }),
      Result: MemberFromRow,
      execute: ({ projectId, userId }) =>
        sql`SELECT * FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId}`
    })
    const lockModes = { keyShare: "FOR KEY SHARE", noKeyUpdate: "FOR NO KEY UPDATE", update: "FOR UPDATE" } as const
    const lock = SqlSchema.findOne({
      Request: Schema.Struct({ id: ProjectId, mode: Schema.Literal("keyShare", "noKeyUpdate", "update") }),
      Result: ProjectFromRow,
      execute: ({ id, mode }) => sql`SELECT * FROM projects WHERE id = ${id} ${sql.literal(lockModes[mode])}`
    })
    const lockMember = SqlSchema.findOne({
      Request: Schema.Struct({ projectId: ProjectId, userId: UserId }),
      Result: MemberFromRow,
      execute: ({ projectId, userId }) =>
        sql`SELECT * FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId} FOR KEY SHARE`
    })
    const listMembers = SqlSchema.findAll({
      Request: ProjectId,
      Result: MemberFromRow,
      // No insertion sequence in the table: members added in the same instant fall back to user id.
      execute: (projectId) => sql`SELECT * FROM project_members WHERE project_id = ${projectId} ORDER BY added_at, user_id`
    })

    return ProjectRepository.of({
      insert: (project) =>
        insert(project).pipe(Effect.map((rows) => rows.length > 0), traced("SqlProjectRepository.insert")),
      findById: (id) => findById(id).pipe(traced("SqlProjectRepository.findById")),
      update: (project, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("ProjectRepository", project.version, expectedVersion),
          update({ row: project, expectedVersion })
        ).pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlProjectRepository.update")
        ),
      // Tasks reference columns without a cascade: remove them before the project's cascade
      // reaches the columns (comments follow their tasks, members and columns the project).
      delete: (id) =>
        sql
          .withTransaction(
            Effect.zipRight(
              sql`DELETE FROM tasks WHERE project_id = ${id}`,
              sql`DELETE FROM projects WHERE id = ${id} RETURNING id`
            )
          )
          .pipe(Effect.map((rows) => rows.length > 0), traced("SqlProjectRepository.delete")),
      lock: (id, mode) => lock({ id, mode }).pipe(traced("SqlProjectRepository.lock")),
      lockMember: (projectId, userId) => lockMember({ projectId, userId }).pipe(traced("SqlProjectRepository.lockMember")),
      list: (filter, page) => list({ ...filter, page }).pipe(traced("SqlProjectRepository.list")),
      neighbourRank: (status, anchor, direction, exclude) =>
        neighbourRank({ status, anchor, direction, exclude }).pipe(
          Effect.map(Option.map((row) => row.rank)),
          traced("SqlProjectRepository.neighbourRank")
        ),
      listRanks: (status) => listRanks(status).pipe(traced("SqlProjectRepository.listRanks")),
      rewriteRanks: (status, ranks) =>
        (ranks.length === 0 ? Effect.succeed([]) : rewriteRanks({ status, ranks: toRankArrays(ranks) })).pipe(
          Effect.map((rows) => rows.length),
          traced("SqlProjectRepository.rewriteRanks")
        ),
      recentlyActive: (limit) => recentlyActive(limit).pipe(Effect.map((rows) => rows.map((row) => row.id)), traced("SqlProjectRepository.recentlyActive")),
      nextTaskNumber: (id) =>
        nextTaskNumber(id).pipe(
          Effect.mapError(toRepositoryError),
          Effect.flatMap(
            Option.match({
              onNone: () => new RepositoryError({ message: `projects: no project ${id} to number a task in`, transient: false }),
              onSome: (row) => Effect.succeed(row.taskSeq)
            })
          ),
          Effect.withSpan("SqlProjectRepository.nextTaskNumber", { captureStackTrace: false })
        ),
      addMember: (member) =>
        addMember(member).pipe(Effect.map((rows) => rows.length > 0), traced("SqlProjectRepository.addMember")),
      updateMember: (member) => updateMember(member).pipe(traced("SqlProjectRepository.updateMember")),
      removeMember: (projectId, userId) =>
        sql`DELETE FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId} RETURNING user_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlProjectRepository.removeMember")
        ),
      findMember: (projectId, userId) =>
        findMember({ projectId, userId }).pipe(traced("SqlProjectRepository.findMember")),
      findAccess: (projectId, userId, lock) =>
        findAccess({ projectId, userId, keyShare: lock === "keyShare" }).pipe(traced("SqlProjectRepository.findAccess")),
      listMembers: (projectId) => listMembers(projectId).pipe(traced("SqlProjectRepository.listMembers"))
    })
  })
)
