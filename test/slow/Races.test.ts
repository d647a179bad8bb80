/**
 * Writes that race, on real Postgres (PGlite has one connection: its transactions never
 * overlap). Each case sends the same or conflicting requests at once through the whole API and
 * counts what came back and what was recorded: exactly one delete succeeds and records one
 * event, invariants that span rows (one owner at least, at most 50 columns, at least one) hold,
 * and no race ends in a 5xx.
 */
import { describe, expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Effect, Layer, Schema } from "effect"
import { makeCast, makeProject, Scene, send } from "../e2e/Harness.js"
import { PostgresTest, skipPostgres } from "../support/Database.js"
import { apiOnSql } from "../support/fuzz/World.js"

const RacesLive = Layer.effect(Scene, Effect.orDie(makeCast)).pipe(Layer.provideMerge(apiOnSql(PostgresTest)))

const Id = Schema.Struct({ id: Schema.String })
const Tagged = Schema.Struct({ _tag: Schema.String })
const idOf = (body: unknown) => Schema.decodeUnknownSync(Id)(body).id

/** Sends every request at once; their statuses, sorted, and the bodies of the successes. */
const race = (requests: ReadonlyArray<{ readonly method: HttpMethod; readonly path: string; readonly token: string; readonly body?: unknown }>) =>
  Effect.map(
    Effect.all(
      requests.map((r) => send(r.method, r.path, { token: r.token, ...(r.body === undefined ? {} : { body: r.body }) })),
      { concurrency: "unbounded" }
    ),
    (replies) => ({ statuses: replies.map((r) => r.status).sort(), replies })
  )

const times = <A>(n: number, a: A): ReadonlyArray<A> => Array.from({ length: n }, () => a)

/** The `count` a query answers, read straight from the database. */
const countOf = (query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<{ readonly count: number }>, SqlError>) =>
  Effect.flatMap(SqlClient.SqlClient, query).pipe(
    Effect.map((rows) => rows[0]?.count ?? 0),
    Effect.orDie
  )

/** How many events of `type` the outbox holds for an aggregate. */
const eventsOf = (type: string, aggregateId: string) =>
  countOf((sql) => sql<{ readonly count: number }>`SELECT count(*)::int AS count FROM outbox WHERE type = ${type} AND aggregate_id = ${aggregateId}`)

/** `n` tasks created one after another by the editor; their ids. */
const tasksIn = (projectId: string, n: number) =>
  Effect.flatMap(Scene, (cast) =>
    Effect.forEach(times(n, null), () =>
      Effect.map(send("POST", `/api/v1/projects/${projectId}/tasks`, { token: cast.editor.token, body: { title: "Raced" } }), (r) => idOf(r.body))
    )
  )

const payloadsOf = (type: string, aggregateId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly payload: unknown }>`SELECT payload FROM outbox WHERE type = ${type} AND aggregate_id = ${aggregateId}`
  ).pipe(Effect.map((rows) => rows.map((r) => r.payload)), Effect.orDie)

let projects = 0
/** A project of the cast's owner, with the editor and viewer as members, under a key of its own. */
const freshProject = Effect.flatMap(Scene, (cast) => makeProject(cast, `RACE${++projects}`))

/** A fresh project whose editor has been made a second owner. */
const twoOwners = Effect.gen(function* () {
  const cast = yield* Scene
  const { project } = yield* freshProject
  const members = `/api/v1/projects/${project.id}/members`
  expect((yield* send("PATCH", `${members}/${cast.editor.user.id}`, { token: cast.owner.token, body: { role: "owner" } })).status).toBe(200)
  return { cast, members, project }
})

describe.skipIf(skipPostgres)("writes that race, on Postgres", () => {
  layer(RacesLive, { timeout: 60_000 })((it) => {
    it.effect("twenty deletes of one task: one 204 and one task.deleted, nineteen 404", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        const task = idOf((yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Doomed" } })).body)
        const { statuses } = yield* race(times(20, { method: "DELETE", path: `/api/v1/tasks/${task}`, token: cast.editor.token }))
        expect(statuses).toEqual([204, ...times(19, 404)])
        expect(yield* eventsOf("task.deleted.v1", task)).toBe(1)
      })
    )

    it.effect("twenty deletes of one project: one 204 and one project.deleted, nineteen 404", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Inside" } })
        const { statuses } = yield* race(times(20, { method: "DELETE", path: `/api/v1/projects/${project.id}`, token: cast.owner.token }))
        expect(statuses).toEqual([204, ...times(19, 404)])
        expect(yield* eventsOf("project.deleted.v1", project.id)).toBe(1)
      })
    )

    it.effect("twenty removals of one member: one 204 and one member.removed, nineteen 404", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        const { statuses } = yield* race(times(20, { method: "DELETE", path: `/api/v1/projects/${project.id}/members/${cast.viewer.user.id}`, token: cast.owner.token }))
        expect(statuses).toEqual([204, ...times(19, 404)])
        expect(yield* eventsOf("member.removed.v1", project.id)).toBe(1)
      })
    )

    it.effect("twenty deletes of one comment, and of one column: one success each, one event each", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project, columns } = yield* freshProject
        const task = idOf((yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Talked about" } })).body)
        const comment = idOf((yield* send("POST", `/api/v1/tasks/${task}/comments`, { token: cast.editor.token, body: { body: "once" } })).body)
        const comments = yield* race(times(20, { method: "DELETE", path: `/api/v1/tasks/${task}/comments/${comment}`, token: cast.editor.token }))
        expect(comments.statuses).toEqual([204, ...times(19, 404)])
        expect(yield* eventsOf("comment.deleted.v1", task)).toBe(1)
        const empty = columns.find((c) => c.name === "Review")!
        const deleted = yield* race(times(20, { method: "DELETE", path: `/api/v1/projects/${project.id}/columns/${empty.id}`, token: cast.editor.token }))
        expect(deleted.statuses).toEqual([204, ...times(19, 404)])
        expect((yield* payloadsOf("column.deleted.v1", project.id)).filter((p) => JSON.stringify(p).includes(empty.id))).toHaveLength(1)
      })
    )

    it.effect("twenty revocations of one key: the same answer to all, one apikey.revoked", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const issued = yield* send("POST", `/api/v1/users/${cast.viewer.user.id}/keys`, { token: cast.admin.token, body: { name: "spare", scopes: ["read"] } })
        const key = Schema.decodeUnknownSync(Schema.Struct({ key: Id }))(issued.body).key.id
        const { replies, statuses } = yield* race(times(20, { method: "DELETE", path: `/api/v1/keys/${key}`, token: cast.admin.token }))
        expect(statuses).toEqual(times(20, 200))
        expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1)
        expect(yield* eventsOf("apikey.revoked.v1", key)).toBe(1)
      })
    )

    it.effect("two owners demote each other at once: the project keeps an owner", () =>
      Effect.gen(function* () {
        const { cast, members } = yield* twoOwners
        const { statuses } = yield* race([
          { method: "PATCH", path: `${members}/${cast.editor.user.id}`, token: cast.owner.token, body: { role: "viewer" } },
          { method: "PATCH", path: `${members}/${cast.owner.user.id}`, token: cast.editor.token, body: { role: "viewer" } }
        ])
        // One demotion goes through; the other is refused: by the one-owner rule, or because
        // its caller is no longer an owner when its turn comes.
        expect(statuses[0]).toBe(200)
        expect([403, 409]).toContain(statuses[1])
        const listed = Schema.decodeUnknownSync(Schema.Array(Schema.Struct({ role: Schema.String })))((yield* send("GET", members, { token: cast.viewer.token })).body)
        expect(listed.filter((m) => m.role === "owner")).toHaveLength(1)
      })
    )

    it.effect("two owners leave at once: one stays", () =>
      Effect.gen(function* () {
        const { cast, members, project } = yield* twoOwners
        const { statuses } = yield* race([
          { method: "DELETE", path: `${members}/${cast.editor.user.id}`, token: cast.editor.token },
          { method: "DELETE", path: `${members}/${cast.owner.user.id}`, token: cast.owner.token }
        ])
        expect(statuses).toEqual([204, 409])
        expect(yield* eventsOf("member.removed.v1", project.id)).toBe(1)
      })
    )

    it.effect("columns created at once stop at 50; the last two deleted at once leave one", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project, columns } = yield* freshProject
        const path = `/api/v1/projects/${project.id}/columns`
        const created = yield* race(times(50, { method: "POST", path, token: cast.editor.token, body: { name: "More" } }))
        expect(created.statuses).toEqual([...times(45, 201), ...times(5, 409)])
        const listed = Schema.decodeUnknownSync(Schema.Array(Id))((yield* send("GET", path, { token: cast.editor.token })).body)
        expect(listed).toHaveLength(50)
        // Another board, down to two columns; then both deleted at once.
        const other = yield* freshProject
        const otherPath = `/api/v1/projects/${other.project.id}/columns`
        for (const column of other.columns.slice(2)) expect((yield* send("DELETE", `${otherPath}/${column.id}`, { token: cast.editor.token })).status).toBe(204)
        const last = yield* race(other.columns.slice(0, 2).map((c) => ({ method: "DELETE" as const, path: `${otherPath}/${c.id}`, token: cast.editor.token })))
        expect(last.statuses).toEqual([204, 409])
        expect(Schema.decodeUnknownSync(Schema.Array(Id))((yield* send("GET", otherPath, { token: cast.editor.token })).body)).toHaveLength(1)
        expect(columns).toHaveLength(5)
      })
    )

    it.effect("two partial updates of one column at once: both fields stand", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project, columns } = yield* freshProject
        const column = `/api/v1/projects/${project.id}/columns/${columns[1]!.id}`
        for (let round = 0; round < 5; round++) {
          const { statuses } = yield* race([
            { method: "PATCH", path: column, token: cast.editor.token, body: { name: `Renamed ${round}` } },
            { method: "PATCH", path: column, token: cast.owner.token, body: { wipLimit: round + 1 } }
          ])
          expect(statuses).toEqual([200, 200])
          const after = (yield* send("GET", `/api/v1/projects/${project.id}/columns`, { token: cast.viewer.token })).body
          expect(after).toEqual(expect.arrayContaining([expect.objectContaining({ id: columns[1]!.id, name: `Renamed ${round}`, wipLimit: round + 1 })]))
        }
      })
    )

    it.effect("comments and tasks created while their task or project is deleted: 201 or 404, never 500, nothing orphaned", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        const task = idOf((yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Busy" } })).body)
        const onTask = yield* race([
          ...times(10, { method: "POST" as const, path: `/api/v1/tasks/${task}/comments`, token: cast.editor.token, body: { body: "racing" } }),
          { method: "DELETE", path: `/api/v1/tasks/${task}`, token: cast.editor.token }
        ])
        expect(onTask.statuses.every((s) => s === 201 || s === 204 || s === 404)).toBe(true)
        expect(onTask.statuses.filter((s) => s === 204)).toHaveLength(1)
        const onProject = yield* race([
          ...times(10, { method: "POST" as const, path: `/api/v1/projects/${project.id}/tasks`, token: cast.editor.token, body: { title: "Late" } }),
          ...times(3, { method: "POST" as const, path: `/api/v1/projects/${project.id}/members`, token: cast.owner.token, body: { userId: cast.outsider.user.id, role: "viewer" } }),
          { method: "DELETE", path: `/api/v1/projects/${project.id}`, token: cast.owner.token }
        ])
        expect(onProject.statuses.filter((s) => s >= 500)).toEqual([])
        expect(onProject.statuses.filter((s) => s === 204)).toHaveLength(1)
        const orphans = yield* countOf(
          (sql) =>
            sql<{ readonly count: number }>`SELECT
              (SELECT count(*) FROM tasks WHERE project_id = ${project.id})::int
            + (SELECT count(*) FROM comments WHERE task_id = ${task})::int
            + (SELECT count(*) FROM project_members WHERE project_id = ${project.id})::int AS count`
        )
        expect(orphans).toBe(0)
      })
    )

    it.effect("a member removed while a task is assigned to them: never left assigned to a non-member", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        const tasks = yield* tasksIn(project.id, 8)
        const { statuses } = yield* race([
          ...tasks.map((id) => ({ method: "PATCH" as const, path: `/api/v1/tasks/${id}`, token: cast.owner.token, body: { version: 1, assigneeId: cast.viewer.user.id } })),
          { method: "DELETE", path: `/api/v1/projects/${project.id}/members/${cast.viewer.user.id}`, token: cast.owner.token }
        ])
        expect(statuses.filter((s) => s >= 500)).toEqual([])
        const assigned = yield* countOf(
          (sql) => sql<{ readonly count: number }>`SELECT count(*)::int AS count FROM tasks WHERE project_id = ${project.id} AND assignee_id = ${cast.viewer.user.id}`
        )
        expect(assigned).toBe(0)
      })
    )

    it.effect("six tasks moved at once into a column with room for two: two get in, four get 409 WipLimitExceeded", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* freshProject
        const narrow = idOf((yield* send("POST", `/api/v1/projects/${project.id}/columns`, { token: cast.editor.token, body: { name: "Narrow", wipLimit: 2 } })).body)
        const tasks = yield* tasksIn(project.id, 6)
        const { replies, statuses } = yield* race(tasks.map((id) => ({ method: "POST" as const, path: `/api/v1/tasks/${id}/move`, token: cast.editor.token, body: { version: 1, columnId: narrow } })))
        expect(statuses).toEqual([200, 200, 409, 409, 409, 409])
        expect(replies.filter((r) => r.status === 409).map((r) => Schema.decodeUnknownSync(Tagged)(r.body)._tag)).toEqual(times(4, "WipLimitExceeded"))
        const board = Schema.decodeUnknownSync(Schema.Struct({ columns: Schema.Array(Schema.Struct({ id: Schema.String, tasks: Schema.Array(Id) })) }))(
          (yield* send("GET", `/api/v1/projects/${project.id}/board`, { token: cast.viewer.token })).body
        )
        expect(board.columns.find((c) => c.id === narrow)?.tasks).toHaveLength(2)
      })
    )

    it.effect("concurrent moves and edits of one task with one version: one wins, the rest 409, one event", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project, columns } = yield* freshProject
        const task = idOf((yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Contended" } })).body)
        const { statuses } = yield* race([
          ...columns.slice(1).map((c) => ({ method: "POST" as const, path: `/api/v1/tasks/${task}/move`, token: cast.editor.token, body: { version: 1, columnId: c.id } })),
          ...times(4, { method: "PATCH" as const, path: `/api/v1/tasks/${task}`, token: cast.editor.token, body: { version: 1, title: "Mine" } })
        ])
        expect(statuses).toEqual([200, ...times(7, 409)])
        const changes = (yield* eventsOf("task.moved.v1", task)) + (yield* eventsOf("task.updated.v1", task))
        expect(changes).toBe(1)
      })
    )
  })
})
