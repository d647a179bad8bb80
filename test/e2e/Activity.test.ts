import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Option, Schema } from "effect"
import { ActivityEntry, projectIdOf } from "../../src/domain/Activity.js"
import type { ProjectId } from "../../src/domain/Ids.js"
import { Page } from "../../src/domain/Page.js"
import { ProjectDetails } from "../../src/domain/Progress.js"
import { CreateTask, MoveTask } from "../../src/domain/Requests.js"
import type { EventHandler } from "../../src/events/EventHandler.js"
import { wants } from "../../src/events/HandlerRegistry.js"
import { ActivityFeedHandler } from "../../src/events/handlers/ActivityFeedHandler.js"
import { ProjectProgressHandler } from "../../src/events/handlers/ProjectProgressHandler.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { type Cast, decodeBody, expectError, get, makeProject, Scene, SceneLive } from "./Harness.js"

/** The consumer runtime's part, played directly: the project's recorded events to each handler that wants them. */
const handleRecorded = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const handlers: ReadonlyArray<EventHandler> = [yield* ActivityFeedHandler, yield* ProjectProgressHandler]
    const events = (yield* (yield* OutboxRepository).listAll).filter((event) => Option.contains(projectIdOf(event), projectId))
    for (const handler of handlers) {
      const wanted = events.filter((event) => wants(handler, event.type))
      yield* Effect.forEach(wanted, handler.handle, { discard: true })
    }
    return events
  })

const ActivityPage = Page(ActivityEntry)

/** A project with three tasks in `To do`, one of them late, one then moved to `Done`; its events handled. */
const givenBusyProject = (cast: Cast, key: string) =>
  Effect.gen(function* () {
    const { columns, project } = yield* makeProject(cast, key)
    const column = (name: string) => columns.find((c) => c.name === name)!.id
    const create = (title: string, dueAt: DateTime.Utc | null = null) =>
      cast.editor.client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title, columnId: column("To do"), dueAt }) })
    const yesterday = DateTime.subtract(yield* DateTime.now, { days: 1 })
    const spec = yield* create("Write the spec")
    yield* create("Build it", yesterday)
    yield* create("Ship it")
    yield* cast.editor.client.tasks.moveTask({ path: { taskId: spec.id }, payload: new MoveTask({ version: spec.version, columnId: column("Done") }) })
    const events = yield* handleRecorded(project.id)
    return { project, events }
  }).pipe(Effect.orDie)

const activityOf = (projectId: ProjectId, token: string, query = "") =>
  Effect.map(get(`/api/v1/projects/${projectId}/activity${query}`, token), (reply) => {
    expect(reply.status).toBe(200)
    return decodeBody(ActivityPage, reply)
  })

layer(SceneLive)("the activity feed and project progress", (it) => {
  it.effect("lists a project's events newest first, a page at a time, to its members", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { events, project } = yield* givenBusyProject(cast, "FEED")
      const seen: Array<ActivityEntry> = []
      let cursor = ""
      for (let pages = 0; pages < 10; pages++) {
        const page = yield* activityOf(project.id, cast.viewer.token, `?limit=3${cursor}`)
        expect(page.items.length).toBeLessThanOrEqual(3)
        seen.push(...page.items)
        if (page.nextCursor === null) break
        cursor = `&cursor=${page.nextCursor}`
      }
      expect(seen.map((entry) => entry.id)).toStrictEqual(events.map((event) => event.id).reverse())
      expect(seen.map((entry) => entry.summary).slice(0, 2)).toStrictEqual(["moved task #1 “Write the spec” to “Done”", "created task #3 “Ship it”"])
      expect(seen.every((entry) => entry.projectId === project.id)).toBe(true)
    })
  )

  it.effect("filters by event type", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* givenBusyProject(cast, "TYPES")
      const types = (query: string) => Effect.map(activityOf(project.id, cast.owner.token, query), (page) => page.items.map((entry) => entry.type))
      expect(yield* types("?type=task.created.v1")).toStrictEqual(["task.created.v1", "task.created.v1", "task.created.v1"])
      expect(yield* types("?type=task.moved.v1&type=project.created.v1")).toStrictEqual(["task.moved.v1", "project.created.v1"])
      expectError(yield* get(`/api/v1/projects/${project.id}/activity?type=task.exploded.v1`, cast.owner.token), 400, "ValidationError")
      expectError(yield* get(`/api/v1/projects/${project.id}/activity?cursor=nonsense`, cast.owner.token), 400, "ValidationError")
    })
  )

  it.effect("is not found for a non-member, as for a project that does not exist", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* givenBusyProject(cast, "SECRET")
      const refused = expectError(yield* get(`/api/v1/projects/${project.id}/activity`, cast.outsider.token), 404, "NotFound")
      expect(refused.message).toBe(`project ${project.id} not found`)
    })
  )

  it.effect("serves the project with its progress: tasks per column, done, percent done and overdue", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* givenBusyProject(cast, "PROG")
      const details = decodeBody(ProjectDetails, yield* get(`/api/v1/projects/${project.id}`, cast.viewer.token))
      expect({ id: details.id, key: details.key, version: details.version }).toStrictEqual({ id: project.id, key: "PROG", version: project.version })
      const { columns, updatedAt, ...totals } = details.progress
      expect(columns.map((c) => [c.name, c.isDone, c.tasks])).toStrictEqual([
        ["Backlog", false, 0],
        ["To do", false, 2],
        ["In progress", false, 0],
        ["Review", false, 0],
        ["Done", true, 1]
      ])
      expect(totals).toStrictEqual({ total: 3, done: 1, percentDone: 33, overdue: 1 })
      expect(updatedAt).not.toBeNull()
    })
  )

  it.effect("serves zero progress for a project whose events are not handled yet", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* makeProject(cast, "FRESH")
      const details = decodeBody(ProjectDetails, yield* get(`/api/v1/projects/${project.id}`, cast.owner.token))
      expect(Schema.encodeSync(ProjectDetails.fields.progress)(details.progress)).toStrictEqual({
        columns: [], total: 0, done: 0, percentDone: 0, overdue: 0, updatedAt: null
      })
    })
  )
})
