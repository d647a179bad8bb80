import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { uuidv7 } from "../../src/domain/Ids.js"
import { ApiKey, Column, Comment, Member, Project, Task, User } from "../../src/domain/Model.js"
import { type Cast, decodeBody, expectError, get, makeProject, messageOf, outcome, readBoard, type Reply, Scene, SceneLive, send, snapshot } from "./Harness.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TaskPage = Schema.Struct({ items: Schema.Array(Task), nextCursor: Schema.NullOr(Schema.String) })
const CommentPage = Schema.Struct({ items: Schema.Array(Comment), nextCursor: Schema.NullOr(Schema.String) })

const created = <A, I>(schema: Schema.Schema<A, I>) => (reply: { readonly status: number; readonly body: unknown; readonly text: string }) => {
  expect({ status: reply.status, body: reply.status === 201 ? null : reply.text }).toEqual({ status: 201, body: null })
  return Schema.decodeUnknownSync(schema)(reply.body)
}

const createTask = (token: string, projectId: string, body: Record<string, unknown>) =>
  Effect.map(send("POST", `/api/v1/projects/${projectId}/tasks`, { token, body }), created(Task))

const moveTask = (token: string, task: Task, body: Record<string, unknown>) =>
  send("POST", `/api/v1/tasks/${task.id}/move`, { token, body: { version: task.version, ...body } })

const columnNamed = (columns: ReadonlyArray<Column>, name: string): Column => {
  const column = columns.find((c) => c.name === name)
  if (column === undefined) throw new Error(`no column ${name}`)
  return column
}

/** Ranks in board order, strictly increasing: the ranks alone define the order, no ties. */
const expectStrictlyRanked = (tasks: ReadonlyArray<{ readonly rank: string }>) => {
  const ranks = tasks.map((t) => t.rank)
  expect(ranks).toEqual([...ranks].sort())
  expect(new Set(ranks).size).toBe(ranks.length)
}

/** Walks every page of a list, following `nextCursor`. */
const walk = (token: string, path: string, query: string) =>
  Effect.gen(function* () {
    const pages: Array<ReadonlyArray<Task>> = []
    let cursor: string | null = null
    do {
      const reply: Reply = yield* get(`${path}?${query}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, token)
      const page: typeof TaskPage.Type = decodeBody(TaskPage, reply)
      pages.push(page.items)
      cursor = page.nextCursor
    } while (cursor !== null && pages.length < 50)
    return pages
  })

let projectCount = 0
const freshProject = (cast: Cast) => makeProject(cast, `API${projectCount++}`)

layer(SceneLive)("the API", (it) => {
  it.effect("walkthrough: create a project, add tasks, move one between two others, read the board", () =>
    Effect.gen(function* () {
      const { owner } = yield* Scene
      const token = owner.token
      const project = created(Project)(
        yield* send("POST", "/api/v1/projects", { token, body: { key: "FLOW", name: "Flowboard launch", description: "Ship it" } })
      )
      expect(project).toMatchObject({ key: "FLOW", name: "Flowboard launch", status: "planning", version: 1, ownerId: owner.user.id })
      const initial = yield* readBoard(token, project.id)
      expect(initial.columns.map((c) => c.name)).toEqual(["Backlog", "To do", "In progress", "Review", "Done"])
      const todo = initial.columns[1]!.id
      const a = yield* createTask(token, project.id, { title: "Write the spec", columnId: todo })
      const b = yield* createTask(token, project.id, { title: "Build it", columnId: todo, priority: "high" })
      const c = yield* createTask(token, project.id, { title: "Review the spec", columnId: todo })
      expect([a.number, b.number, c.number]).toEqual([1, 2, 3])

      const moved = yield* moveTask(token, c, { columnId: todo, afterId: a.id, beforeId: b.id })
      expect(moved.status).toBe(200)
      expect(decodeBody(Task, moved)).toMatchObject({ id: c.id, columnId: todo, version: 2 })

      const board = yield* readBoard(token, project.id)
      const todoColumn = board.columns[1]!
      expect(todoColumn.tasks.map((t) => t.title)).toEqual(["Write the spec", "Review the spec", "Build it"])
      expect(todoColumn.taskCount).toBe(3)
      expectStrictlyRanked(todoColumn.tasks)

      // Into the done column: the task is completed; out of it again, it is not.
      const done = board.columns[4]!.id
      const finished = decodeBody(Task, yield* moveTask(token, a, { columnId: done }))
      expect(finished.completedAt).not.toBeNull()
      const reopened = decodeBody(Task, yield* moveTask(token, finished, { columnId: todo, position: "top" }))
      expect(reopened.completedAt).toBeNull()
      expect((yield* readBoard(token, project.id)).columns[1]!.tasks.map((t) => t.title)).toEqual(["Write the spec", "Review the spec", "Build it"])
    })
  )

  it.effect("bad input is a 400 naming the field, and changes nothing", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.owner.token
      const { project, columns } = yield* freshProject(cast)
      const other = yield* freshProject(cast)
      const task = yield* createTask(token, project.id, { title: "Existing" })
      const tasks = `/api/v1/projects/${project.id}/tasks`
      const cases: ReadonlyArray<readonly [what: string, method: "GET" | "POST" | "PATCH", path: string, body: unknown, field: string | number]> = [
        ["a missing title", "POST", tasks, { priority: "high" }, "title"],
        ["a blank title", "POST", tasks, { title: "   " }, "title"],
        ["a title too long", "POST", tasks, { title: "x".repeat(501) }, "title"],
        ["a project name too long", "POST", "/api/v1/projects", { key: "LONG", name: "x".repeat(201) }, "name"],
        ["a malformed project key", "POST", "/api/v1/projects", { key: "lower", name: "Lower" }, "key"],
        ["an unknown priority", "POST", tasks, { title: "A", priority: "critical" }, "priority"],
        ["an unknown project status", "POST", `/api/v1/projects/${project.id}/move`, { version: 1, status: "paused" }, "status"],
        ["an unknown field", "POST", tasks, { title: "A", colour: "red" }, "colour"],
        ["an unknown field in an update", "PATCH", `/api/v1/tasks/${task.id}`, { version: 1, owner: "me" }, "owner"],
        ["a wrong type", "POST", tasks, { title: "A", estimate: "three" }, "estimate"],
        ["an empty label", "POST", tasks, { title: "A", labels: ["ok", ""] }, "labels"],
        ["a version of 0", "PATCH", `/api/v1/tasks/${task.id}`, { version: 0, title: "B" }, "version"],
        ["a bad UUID in the body", "POST", `/api/v1/tasks/${task.id}/move`, { version: 1, columnId: "todo" }, "columnId"],
        ["a bad UUID in the path", "GET", "/api/v1/tasks/not-a-uuid", undefined, "taskId"],
        ["a bad UUID in the path of a write", "PATCH", "/api/v1/projects/xyz", { version: 1 }, "projectId"],
        ["a limit of 0", "GET", `${tasks}?limit=0`, undefined, "limit"],
        ["a limit above the cap", "GET", `${tasks}?limit=201`, undefined, "limit"],
        ["a limit that is no number", "GET", `${tasks}?limit=ten`, undefined, "limit"],
        ["an unknown priority filter", "GET", `${tasks}?priority=critical`, undefined, "priority"],
        ["an unknown query parameter", "GET", `${tasks}?colour=red`, undefined, "colour"],
        ["a date filter that is no date", "GET", `${tasks}?dueBefore=yesterday`, undefined, "dueBefore"],
        ["a forged cursor", "GET", `${tasks}?cursor=bm90LWEtY3Vyc29y`, undefined, "cursor"],
        ["a cursor that is no UUID", "GET", `${tasks}?cursor=${Buffer.from("-".repeat(36)).toString("base64url")}`, undefined, "cursor"],
        ["a column of another project", "POST", tasks, { title: "A", columnId: other.columns[0]!.id }, "columnId"],
        ["an assignee who is not a member", "POST", tasks, { title: "A", assigneeId: cast.outsider.user.id }, "assigneeId"],
        ["an anchor in another column", "POST", `/api/v1/tasks/${task.id}/move`, { version: 1, columnId: columns[2]!.id, afterId: task.id }, "afterId"],
        // Text Postgres cannot store: U+0000, and a lone surrogate (JSON.stringify sends it as "\ud800").
        ["U+0000 in a project name", "POST", "/api/v1/projects", { key: "NULX", name: "a\u0000b" }, "name"],
        ["a lone surrogate in a title", "POST", tasks, { title: "lone \ud800 surrogate" }, "title"],
        ["a lone low surrogate in a description", "PATCH", `/api/v1/tasks/${task.id}`, { version: 1, description: "x\udc00" }, "description"],
        ["U+0000 in a label", "POST", tasks, { title: "A", labels: ["ok", "n\u0000l"] }, "labels"],
        ["U+0000 in a comment", "POST", `/api/v1/tasks/${task.id}/comments`, { body: "\u0000" }, "body"],
        ["U+0000 in a search", "GET", `${tasks}?q=%00`, undefined, "q"],
        ["U+0000 in a label filter", "GET", `${tasks}?label=ok%00`, undefined, "label"],
        ["U+0000 in a project search", "GET", "/api/v1/projects?q=a%00", undefined, "q"],
        // Lengths count characters as JSON Schema does: 501 emoji are 501 characters.
        ["501 emoji in a title", "POST", tasks, { title: "\u{1F600}".repeat(501) }, "title"],
        ["a limit in exponent form", "GET", `${tasks}?limit=1e1`, undefined, "limit"],
        ["a limit with a sign", "GET", `${tasks}?limit=+5`, undefined, "limit"],
        ["a version beyond the integer column", "PATCH", `/api/v1/tasks/${task.id}`, { version: 2 ** 31, title: "B" }, "version"],
        ["a date that does not exist", "POST", tasks, { title: "A", dueAt: "2026-02-30T00:00:00Z" }, "dueAt"],
        ["a date in a form Date parses but RFC 3339 does not", "POST", tasks, { title: "A", dueAt: "Dec 5 2026" }, "dueAt"],
        ["a year Postgres cannot store", "POST", tasks, { title: "A", dueAt: "-200000-01-01T00:00:00Z" }, "dueAt"],
        ["a filter date that is not RFC 3339", "GET", `${tasks}?dueAfter=2026`, undefined, "dueAfter"]
      ]
      const before = yield* snapshot(token, project.id)
      const projectsBefore = (yield* get("/api/v1/projects?limit=200", token)).body
      const actual: Array<unknown> = []
      for (const [what, method, path, body, field] of cases) {
        const reply = yield* send(method, path, { token, body })
        const issues = Schema.decodeUnknownOption(Schema.Struct({ issues: Schema.Array(Schema.Struct({ path: Schema.Array(Schema.Union(Schema.String, Schema.Number)) })) }))(reply.body)
        const message = messageOf(reply) ?? ""
        actual.push({
          what,
          ...outcome(reply),
          field: issues._tag === "Some" ? issues.value.issues[0]?.path[0] : undefined,
          messageNamesField: message.includes(String(field))
        })
      }
      expect(actual).toEqual(cases.map(([what, , , , field]) => ({ what, status: 400, tag: "ValidationError", problems: [], field, messageNamesField: true })))
      expect(yield* snapshot(token, project.id)).toEqual(before)
      expect((yield* get("/api/v1/projects?limit=200", token)).body).toEqual(projectsBefore)
    })
  )

  it.effect("a body that is not JSON is a 400 in the error shape; a huge wrong value is not echoed back in full", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const reply = yield* send("POST", "/api/v1/projects", { token: cast.owner.token, rawBody: '{"key": "BAD", ' })
      expectError(reply, 400, "ValidationError")
      const { project } = yield* freshProject(cast)
      const huge = yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.owner.token, body: { title: "x", description: "y".repeat(60_000) } })
      expect(expectError(huge, 400, "ValidationError").issues?.[0]?.path).toEqual(["description"])
      expect(huge.text.length).toBeLessThan(10_000)
    })
  )

  it.effect("a method the path does not take is a 405 with Allow; a body that is not JSON a 415; deep nesting a 400; none changes anything", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.owner.token
      const { project } = yield* freshProject(cast)
      const task = yield* createTask(token, project.id, { title: "Existing" })
      const tasks = `/api/v1/projects/${project.id}/tasks`
      const before = yield* snapshot(token, project.id)
      const wrongMethods = [
        yield* send("PUT", tasks, { token, body: { title: "A" } }),
        yield* send("POST", `/api/v1/tasks/${task.id}`, { token, body: {} }),
        yield* send("DELETE", `/api/v1/projects/${project.id}/board`, { token })
      ]
      expect(wrongMethods.map((r) => [expectError(r, 405, "MethodNotAllowed").status, r.headers["allow"]])).toEqual([
        [405, "GET, HEAD, POST"],
        [405, "DELETE, GET, HEAD, PATCH"],
        [405, "GET, HEAD"]
      ])
      // An unknown path stays a 404.
      expectError(yield* send("PUT", "/api/v1/nowhere", { token }), 404, "NotFound")

      const form = yield* send("POST", tasks, { token, rawBody: "title=x", contentType: "application/x-www-form-urlencoded" })
      const text = yield* send("POST", tasks, { token, rawBody: '{"title":"x"}', contentType: "text/plain" })
      const latin1 = yield* send("POST", tasks, { token, rawBody: '{"title":"x"}', contentType: "application/json; charset=latin1" })
      // An operation that takes no body still refuses one that is not JSON.
      const bodyOnCancel = yield* send("POST", `/api/v1/jobs/${task.id}/cancel`, { token, rawBody: "please", contentType: "text/plain" })
      for (const reply of [form, text, latin1, bodyOnCancel]) expectError(reply, 415, "UnsupportedMediaType")

      const deep = yield* send("POST", tasks, { token, rawBody: "[".repeat(20_000) + "]".repeat(20_000) })
      expect(expectError(deep, 400, "ValidationError").issues).toEqual([{ path: [], message: "is nested deeper than 32 levels" }])
      expect(yield* snapshot(token, project.id)).toEqual(before)

      // JSON with its charset spelled out is JSON.
      const utf8 = yield* send("POST", tasks, { token, rawBody: '{"title":"spelled out"}', contentType: "application/json; charset=UTF-8" })
      expect(utf8.status).toBe(201)
      // 500 emoji are 500 characters, within a title's limit.
      expect((yield* createTask(token, project.id, { title: "\u{1F600}".repeat(500) })).title).toHaveLength(1000)
    })
  )

  it.effect("concurrent creates get distinct task numbers", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* freshProject(cast)
      const tasks = yield* Effect.all(
        Array.from({ length: 10 }, (_, i) => createTask(cast.editor.token, project.id, { title: `Parallel ${i}`, position: i % 2 === 0 ? "top" : "bottom" })),
        { concurrency: "unbounded" }
      )
      expect(tasks.map((t) => t.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
      const backlog = (yield* readBoard(cast.editor.token, project.id)).columns[0]!.tasks
      expect(backlog).toHaveLength(10)
      expectStrictlyRanked(backlog)
    })
  )

  it.effect("WIP limits: a full column refuses creates and moves with 409 WipLimitExceeded, and still reorders", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project, columns } = yield* freshProject(cast)
      const doing = columnNamed(columns, "In progress")
      const limited = yield* send("PATCH", `/api/v1/projects/${project.id}/columns/${doing.id}`, { token, body: { wipLimit: 2 } })
      expect(decodeBody(Column, limited).wipLimit).toBe(2)
      const first = yield* createTask(token, project.id, { title: "One", columnId: doing.id })
      const second = yield* createTask(token, project.id, { title: "Two", columnId: doing.id })
      const waiting = yield* createTask(token, project.id, { title: "Waiting" })
      const before = yield* snapshot(token, project.id)

      const create = expectError(yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token, body: { title: "Three", columnId: doing.id } }), 409, "WipLimitExceeded")
      expect(create).toMatchObject({ message: "column In progress is at its WIP limit of 2" })
      const move = yield* moveTask(token, waiting, { columnId: doing.id })
      expect(expectError(move, 409, "WipLimitExceeded")).toMatchObject({ status: 409 })
      expect(move.body).toMatchObject({ columnId: doing.id, limit: 2 })
      expect(yield* snapshot(token, project.id)).toEqual(before)

      // Reordering inside a full column adds nothing to it.
      const reordered = yield* moveTask(token, second, { columnId: doing.id, beforeId: first.id })
      expect(reordered.status).toBe(200)
      expect((yield* readBoard(token, project.id)).columns[2]!.tasks.map((t) => t.title)).toEqual(["Two", "One"])
    })
  )

  it.effect("WIP limits hold under concurrent moves", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project, columns } = yield* freshProject(cast)
      const review = columnNamed(columns, "Review")
      yield* send("PATCH", `/api/v1/projects/${project.id}/columns/${review.id}`, { token, body: { wipLimit: 3 } })
      const tasks = yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), (i) => createTask(token, project.id, { title: `T${i}` }))
      const replies = yield* Effect.all(
        tasks.map((t) => moveTask(token, t, { columnId: review.id })),
        { concurrency: "unbounded" }
      )
      const statuses = replies.map((r) => outcome(r))
      expect(statuses.filter((s) => s.status === 200)).toHaveLength(3)
      expect(statuses.filter((s) => s.status === 409 && s.tag === "WipLimitExceeded" && s.problems.length === 0)).toHaveLength(5)
      expect((yield* readBoard(token, project.id)).columns[3]!.taskCount).toBe(3)
    })
  )

  it.effect("a stale version is a 409 VersionConflict, and the newer write stands", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project, columns } = yield* freshProject(cast)
      const task = yield* createTask(token, project.id, { title: "Original" })
      const first = yield* send("PATCH", `/api/v1/tasks/${task.id}`, { token, body: { version: 1, title: "First edit" } })
      expect(decodeBody(Task, first)).toMatchObject({ title: "First edit", version: 2 })

      const stale = yield* send("PATCH", `/api/v1/tasks/${task.id}`, { token, body: { version: 1, title: "Lost edit" } })
      expectError(stale, 409, "VersionConflict")
      expect(stale.body).toMatchObject({ resource: "task", id: task.id, expected: 1, actual: 2 })
      expectError(yield* moveTask(token, task, { columnId: columns[2]!.id }), 409, "VersionConflict")
      expect(decodeBody(Task, yield* get(`/api/v1/tasks/${task.id}`, token))).toMatchObject({ title: "First edit", version: 2, columnId: task.columnId })

      const renamed = yield* send("PATCH", `/api/v1/projects/${project.id}`, { token: cast.owner.token, body: { version: 1, name: "Renamed" } })
      expect(renamed.status).toBe(200)
      const staleProject = yield* send("PATCH", `/api/v1/projects/${project.id}`, { token: cast.owner.token, body: { version: 1, name: "Again" } })
      expect(expectError(staleProject, 409, "VersionConflict")).toMatchObject({ resource: "project" })
      const staleMove = yield* send("POST", `/api/v1/projects/${project.id}/move`, { token: cast.owner.token, body: { version: 1, status: "active" } })
      expectError(staleMove, 409, "VersionConflict")
    })
  )

  it.effect("concurrent edits of one task with the same version: exactly one wins", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project } = yield* freshProject(cast)
      const task = yield* createTask(token, project.id, { title: "Contested" })
      const replies = yield* Effect.all(
        Array.from({ length: 10 }, (_, i) => send("PATCH", `/api/v1/tasks/${task.id}`, { token, body: { version: 1, title: `Edit ${i}` } })),
        { concurrency: "unbounded" }
      )
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1)
      expect(replies.filter((r) => r.status === 409).map((r) => outcome(r).tag)).toEqual(Array(9).fill("VersionConflict"))
      const winner = decodeBody(Task, replies.find((r) => r.status === 200)!)
      expect(decodeBody(Task, yield* get(`/api/v1/tasks/${task.id}`, token))).toMatchObject({ title: winner.title, version: 2 })
    })
  )

  it.effect("20 concurrent moves into one column: every task once, in an order the ranks define", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project, columns } = yield* freshProject(cast)
      const target = columnNamed(columns, "In progress")
      const anchor = yield* createTask(token, project.id, { title: "Anchor", columnId: target.id })
      const tasks = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => createTask(token, project.id, { title: `Task ${i}` }))
      // Every placement at once: to the top, to the bottom, and right after the same anchor.
      const placements: ReadonlyArray<Record<string, unknown>> = [{ position: "top" }, { position: "bottom" }, { afterId: anchor.id }, { beforeId: anchor.id }]
      const replies = yield* Effect.all(
        tasks.map((t, i) => moveTask(token, t, { columnId: target.id, ...placements[i % placements.length] })),
        { concurrency: "unbounded" }
      )
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200))

      const board = yield* readBoard(token, project.id)
      const column = board.columns.find((c) => c.id === target.id)!
      const ids = column.tasks.map((t) => t.id)
      expect(ids).toHaveLength(21)
      expect([...ids].sort()).toEqual([anchor.id, ...tasks.map((t) => t.id)].sort())
      expect(column.taskCount).toBe(21)
      expect(board.columns[0]!.tasks).toEqual([])
      expectStrictlyRanked(column.tasks)
      // Consistent: the listing agrees, and a second read gives the same order.
      expect((yield* readBoard(token, project.id)).columns.find((c) => c.id === target.id)!.tasks.map((t) => t.id)).toEqual(ids)
      const listed = decodeBody(TaskPage, yield* get(`/api/v1/projects/${project.id}/tasks?columnId=${target.id}&limit=200`, token))
      expect(listed.items.map((t) => t.id).sort()).toEqual([...ids].sort())
    })
  )

  it.effect("lists tasks a page at a time, with filters, each match exactly once", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.editor.token
      const { project, columns } = yield* freshProject(cast)
      const specs = [
        { title: "Alpha", priority: "high", labels: ["api"], assigneeId: cast.viewer.user.id, dueAt: "2030-01-05T00:00:00Z" },
        { title: "Bravo", priority: "low", labels: ["ui"] },
        { title: "Charlie", priority: "high", labels: ["api", "ui"], columnId: columns[2]!.id, dueAt: "2030-03-01T00:00:00Z" },
        { title: "Delta", priority: "high", assigneeId: cast.viewer.user.id },
        { title: "Echo api docs", priority: "medium", labels: ["docs"] },
        { title: "Foxtrot", priority: "high", labels: ["api"], assigneeId: cast.viewer.user.id },
        { title: "Golf", priority: "urgent", columnId: columns[2]!.id },
        { title: "Hotel", priority: "high", labels: ["ui"], dueAt: "2030-02-01T00:00:00Z" },
        { title: "India", priority: "low", assigneeId: cast.viewer.user.id }
      ]
      const all = yield* Effect.forEach(specs, (spec) => createTask(token, project.id, spec))
      const path = `/api/v1/projects/${project.id}/tasks`
      const titles = (pages: ReadonlyArray<ReadonlyArray<Task>>) => pages.flat().map((t) => t.title)
      const expectKeyset = (pages: ReadonlyArray<ReadonlyArray<Task>>, limit: number) => {
        const ids = pages.flat().map((t) => t.id)
        expect(ids).toEqual([...ids].sort())
        expect(new Set(ids).size).toBe(ids.length)
        for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit)
      }

      const everything = yield* walk(token, path, "limit=4")
      expect(everything.map((p) => p.length)).toEqual([4, 4, 1])
      expect(titles(everything)).toEqual(all.map((t) => t.title))
      expectKeyset(everything, 4)

      const high = yield* walk(token, path, "priority=high&limit=2")
      expect(titles(high)).toEqual(["Alpha", "Charlie", "Delta", "Foxtrot", "Hotel"])
      expectKeyset(high, 2)

      const filters: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        [`label=api&assigneeId=${cast.viewer.user.id}`, ["Alpha", "Foxtrot"]],
        [`columnId=${columns[2]!.id}`, ["Charlie", "Golf"]],
        ["q=API", ["Echo api docs"]],
        ["dueBefore=2030-02-15T00:00:00Z", ["Alpha", "Hotel"]],
        ["dueAfter=2030-01-10T00:00:00Z&priority=high", ["Charlie", "Hotel"]],
        ["label=nothing", []]
      ]
      for (const [query, expected] of filters) {
        const pages = yield* walk(token, path, `${query}&limit=1`)
        expect({ query, titles: titles(pages) }).toEqual({ query, titles: expected })
        expectKeyset(pages, 1)
      }
    })
  )

  it.effect("comments: added with 201, listed a page at a time, deleted with 204", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* freshProject(cast)
      const task = yield* createTask(cast.owner.token, project.id, { title: "Discuss" })
      const path = `/api/v1/tasks/${task.id}/comments`
      const comments = yield* Effect.forEach(["First", "Second", "Third"], (body) =>
        Effect.map(send("POST", path, { token: cast.editor.token, body: { body } }), created(Comment))
      )
      expect(comments[0]).toMatchObject({ taskId: task.id, authorId: cast.editor.user.id, body: "First" })
      const page1 = decodeBody(CommentPage, yield* get(`${path}?limit=2`, cast.viewer.token))
      expect(page1.items.map((c) => c.body)).toEqual(["First", "Second"])
      const page2 = decodeBody(CommentPage, yield* get(`${path}?limit=2&cursor=${page1.nextCursor}`, cast.viewer.token))
      expect(page2).toMatchObject({ nextCursor: null })
      expect(page2.items.map((c) => c.body)).toEqual(["Third"])

      const deleted = yield* send("DELETE", `${path}/${comments[1]!.id}`, { token: cast.editor.token })
      expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: "" })
      expect(decodeBody(CommentPage, yield* get(path, cast.viewer.token)).items.map((c) => c.body)).toEqual(["First", "Third"])
      expect(expectError(yield* send("DELETE", `${path}/${comments[1]!.id}`, { token: cast.editor.token }), 404, "NotFound")).toMatchObject({ resource: "comment" })
      // A comment belongs to its task: addressed through another task, it does not exist.
      const elsewhere = yield* createTask(cast.owner.token, project.id, { title: "Elsewhere" })
      expectError(yield* send("DELETE", `/api/v1/tasks/${elsewhere.id}/comments/${comments[0]!.id}`, { token: cast.owner.token }), 404, "NotFound")
      const blank = expectError(yield* send("POST", path, { token: cast.editor.token, body: { body: " " } }), 400, "ValidationError")
      expect(blank.issues?.[0]?.path).toEqual(["body"])
    })
  )

  it.effect("members: added, promoted, refused twice, removed; a removed member loses the project and their assignments", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const token = cast.owner.token
      const { project } = yield* freshProject(cast)
      const members = `/api/v1/projects/${project.id}/members`
      const listed = decodeBody(Schema.Array(Member), yield* get(members, cast.viewer.token))
      expect(listed.map((m) => [m.userId, m.role])).toEqual([
        [cast.owner.user.id, "owner"],
        [cast.editor.user.id, "editor"],
        [cast.viewer.user.id, "viewer"]
      ])
      expectError(yield* get(`/api/v1/projects/${project.id}/board`, cast.outsider.token), 404, "NotFound")

      const added = created(Member)(yield* send("POST", members, { token, body: { userId: cast.outsider.user.id, role: "viewer" } }))
      expect(added).toMatchObject({ projectId: project.id, userId: cast.outsider.user.id, role: "viewer" })
      expect((yield* get(`/api/v1/projects/${project.id}/board`, cast.outsider.token)).status).toBe(200)
      expectError(yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.outsider.token, body: { title: "Not yet" } }), 403, "Forbidden")

      const promoted = yield* send("PATCH", `${members}/${cast.outsider.user.id}`, { token, body: { role: "editor" } })
      expect(decodeBody(Member, promoted).role).toBe("editor")
      const assigned = yield* createTask(cast.outsider.token, project.id, { title: "Mine now", assigneeId: cast.outsider.user.id })
      expect(assigned.assigneeId).toBe(cast.outsider.user.id)

      expectError(yield* send("POST", members, { token, body: { userId: cast.outsider.user.id, role: "viewer" } }), 409, "Conflict")
      const ghost = expectError(yield* send("POST", members, { token, body: { userId: uuidv7(), role: "viewer" } }), 400, "ValidationError")
      expect(ghost.issues?.[0]?.path).toEqual(["userId"])
      expectError(yield* send("PATCH", `${members}/${uuidv7()}`, { token, body: { role: "editor" } }), 404, "NotFound")

      const removed = yield* send("DELETE", `${members}/${cast.outsider.user.id}`, { token })
      expect({ status: removed.status, text: removed.text }).toEqual({ status: 204, text: "" })
      expectError(yield* get(`/api/v1/projects/${project.id}`, cast.outsider.token), 404, "NotFound")
      expectError(yield* get(`/api/v1/tasks/${assigned.id}`, cast.outsider.token), 404, "NotFound")
      expect(decodeBody(Task, yield* get(`/api/v1/tasks/${assigned.id}`, token)).assigneeId).toBeNull()
      expect(decodeBody(Schema.Array(Member), yield* get(members, token))).toHaveLength(3)
    })
  )

  it.effect("X-Request-Id: a well-formed one is echoed, in the header and an error's correlationId; a malformed one is replaced", () =>
    Effect.gen(function* () {
      const { owner } = yield* Scene
      const ok = yield* get("/api/v1/me", owner.token, { "x-request-id": "client-req_0001.a:b" })
      expect({ status: ok.status, requestId: ok.requestId }).toEqual({ status: 200, requestId: "client-req_0001.a:b" })

      const missing = yield* get(`/api/v1/tasks/${uuidv7()}`, owner.token, { "x-request-id": "trace-404-abcdef" })
      expect(expectError(missing, 404, "NotFound").correlationId).toBe("trace-404-abcdef")
      const unauthorized = yield* get("/api/v1/me", undefined, { "x-request-id": "trace-401-abcdef" })
      expect(expectError(unauthorized, 401, "Unauthorized").correlationId).toBe("trace-401-abcdef")
      const invalid = yield* send("POST", "/api/v1/projects", { token: owner.token, body: {}, headers: { "x-request-id": "trace-400-abcdef" } })
      expect(expectError(invalid, 400, "ValidationError").correlationId).toBe("trace-400-abcdef")

      for (const malformed of ["short", "has spaces in it", "x".repeat(129), "semi;colon;header", "<script>alert(1)</script>"]) {
        const reply = yield* get(`/api/v1/projects/${uuidv7()}`, owner.token, { "x-request-id": malformed })
        expect({ malformed, fresh: UUID.test(reply.requestId ?? "") }).toEqual({ malformed, fresh: true })
        expect(expectError(reply, 404, "NotFound").correlationId).toBe(reply.requestId)
      }
      // Without one, every response still carries its own.
      const [one, two, route] = [yield* get("/health/live"), yield* get("/health/live"), yield* get("/api/v1/no-such-route", owner.token)]
      expect(UUID.test(one.requestId ?? "") && UUID.test(two.requestId ?? "")).toBe(true)
      expect(one.requestId).not.toBe(two.requestId)
      expectError(route, 404, "NotFound")
    })
  )

  it.effect("creates answer 201 with the new resource and its id; deletes answer 204 with no body", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { admin, owner } = cast
      const token = owner.token
      const project = created(Project)(yield* send("POST", "/api/v1/projects", { token, body: { key: "CRUD", name: "Crud" } }))
      const column = created(Column)(yield* send("POST", `/api/v1/projects/${project.id}/columns`, { token, body: { name: "QA", wipLimit: 5 } }))
      const task = created(Task)(yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token, body: { title: "T", columnId: column.id } }))
      const comment = created(Comment)(yield* send("POST", `/api/v1/tasks/${task.id}/comments`, { token, body: { body: "c" } }))
      const user = created(User)(yield* send("POST", "/api/v1/users", { token: admin.token, body: { email: "Fresh@Test.Local", name: "Fresh" } }))
      expect(user.email).toBe("fresh@test.local")
      const issued = created(Schema.Struct({ key: ApiKey, token: Schema.String }))(
        yield* send("POST", `/api/v1/users/${owner.user.id}/keys`, { token, body: { name: "ci", scopes: ["read"] } })
      )
      for (const id of [project.id, column.id, task.id, comment.id, user.id, issued.key.id]) expect(id).toMatch(UUID)
      expect(issued.token.startsWith(`fb_${issued.key.prefix}_`)).toBe(true)
      // The new key works, and its secret is never shown again.
      expect((yield* get("/api/v1/me", issued.token)).status).toBe(200)
      const secret = issued.token.slice(`fb_${issued.key.prefix}_`.length)
      expect(secret).toHaveLength(43)
      const listedKeys = (yield* get(`/api/v1/users/${owner.user.id}/keys`, token)).text
      expect(listedKeys).not.toContain(secret)
      expect(listedKeys).not.toMatch(/secret|hash/i)

      // What was created can be read back by its id.
      expect(decodeBody(Project, yield* get(`/api/v1/projects/${project.id}`, token)).id).toBe(project.id)
      expect(decodeBody(Task, yield* get(`/api/v1/tasks/${task.id}`, token)).id).toBe(task.id)

      const deletes: ReadonlyArray<readonly [string, string]> = [
        [`/api/v1/tasks/${task.id}/comments/${comment.id}`, `/api/v1/tasks/${task.id}/comments/${comment.id}`],
        [`/api/v1/tasks/${task.id}`, `/api/v1/tasks/${task.id}`],
        [`/api/v1/projects/${project.id}/columns/${column.id}`, `/api/v1/projects/${project.id}/columns/${column.id}`],
        [`/api/v1/projects/${project.id}`, `/api/v1/projects/${project.id}`]
      ]
      for (const [path, again] of deletes) {
        const reply = yield* send("DELETE", path, { token })
        expect({ path, status: reply.status, text: reply.text }).toEqual({ path, status: 204, text: "" })
        expect({ path, again: (yield* send("DELETE", again, { token })).status }).toEqual({ path, again: 404 })
      }
      expectError(yield* get(`/api/v1/projects/${project.id}/board`, token), 404, "NotFound")
    })
  )

  it.effect("/health/live and /health/ready answer 200 without a key", () =>
    Effect.gen(function* () {
      const live = yield* get("/health/live")
      expect({ status: live.status, body: live.body }).toEqual({ status: 200, body: { status: "ok" } })
      const ready = yield* get("/health/ready")
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: "ok", database: "ok", mode: "test" } })
    })
  )
})
