import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ProjectId } from "../../../../src/domain/Ids.js"
import { CreateComment, MoveTask } from "../../../../src/domain/Requests.js"
import { ActivityFeedHandler } from "../../../../src/events/handlers/ActivityFeedHandler.js"
import { ProjectProgressHandler } from "../../../../src/events/handlers/ProjectProgressHandler.js"
import { wants } from "../../../../src/events/HandlerRegistry.js"
import { ActivityRepository } from "../../../../src/repositories/ActivityRepository.js"
import { CommentService } from "../../../../src/services/CommentService.js"
import { ProjectService } from "../../../../src/services/ProjectService.js"
import { TaskService } from "../../../../src/services/TaskService.js"
import { aMember, aProject, aTask, columnsByName, fresh, signUp } from "../../services/Fixtures.js"
import { handleRecorded, recordedIds } from "./Drive.js"

const feedOf = (projectId: ProjectId) =>
  Effect.flatMap(ActivityRepository, (activity) => activity.list({ projectId, types: [], limit: 100, before: null }))

describe("ActivityFeedHandler", () => {
  it.effect("writes one entry per project event, with a summary, and none for users and keys", () =>
    Effect.gen(function* () {
      const handler = yield* ActivityFeedHandler
      const owner = yield* signUp({ name: "Olive" })
      const project = yield* aProject(owner.actor, { key: "FEED", name: "Feed" })
      const column = yield* columnsByName(owner.actor, project.id)
      const editor = yield* aMember(owner.actor, project, "editor")
      const task = yield* aTask(owner.actor, project.id, { title: "Write the spec" })
      yield* Effect.flatMap(TaskService, (tasks) => tasks.move(owner.actor, task.id, new MoveTask({ version: task.version, columnId: column("Done") })))
      yield* Effect.flatMap(CommentService, (comments) => comments.add(editor.actor, task.id, new CreateComment({ body: "Nice" })))

      const handled = yield* handleRecorded(handler)
      expect(handled.every((event) => !event.type.startsWith("user.") && !event.type.startsWith("apikey."))).toBe(true)
      const feed = yield* feedOf(project.id)
      expect(feed.map((entry) => [entry.type, entry.summary])).toStrictEqual([
        ["comment.added.v1", "commented on task #1 “Write the spec”"],
        ["task.moved.v1", "moved task #1 “Write the spec” to “Done”"],
        ["task.created.v1", "created task #1 “Write the spec”"],
        ["member.added.v1", "added “Ada” as editor"],
        ["project.created.v1", "created the project FEED"]
      ])
      expect(feed.map((entry) => entry.id)).toStrictEqual(handled.map((event) => event.id).reverse())
      const created = feed.at(-1)!
      expect({ actor: created.actor, projectId: created.projectId, payloadKey: created.payload["key"] }).toStrictEqual({
        actor: owner.user.id,
        projectId: project.id,
        payloadKey: "FEED"
      })
    }).pipe(fresh))

  it.effect("leaves rebalances out: a live board must re-read, but nobody did anything", () =>
    Effect.gen(function* () {
      const feed = yield* ActivityFeedHandler
      const progress = yield* ProjectProgressHandler
      expect(wants(feed, "column.rebalanced.v1")).toBe(false)
      expect(wants(feed, "columns.reordered.v1")).toBe(true)
      // Counts per column do not change when ranks do.
      expect(wants(progress, "column.rebalanced.v1")).toBe(false)
    }).pipe(fresh))

  it.effect("is idempotent: the same envelope twice leaves one entry", () =>
    Effect.gen(function* () {
      const handler = yield* ActivityFeedHandler
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const [event] = yield* handleRecorded(handler)
      yield* handler.handle(event!)
      yield* handler.handle(event!)
      expect((yield* feedOf(project.id)).map((entry) => entry.id)).toStrictEqual([event!.id])
    }).pipe(fresh))

  it.effect("forgets a deleted project's feed, and writes nothing for its late events", () =>
    Effect.gen(function* () {
      const handler = yield* ActivityFeedHandler
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      yield* aTask(owner.actor, project.id)
      const before = yield* recordedIds
      yield* handleRecorded(handler)
      expect(yield* feedOf(project.id)).toHaveLength(2)
      yield* Effect.flatMap(ProjectService, (projects) => projects.delete(owner.actor, project.id))
      yield* handleRecorded(handler, before)
      expect(yield* feedOf(project.id)).toStrictEqual([])
      // The task event again, as if it were delivered late: its project is gone.
      yield* handleRecorded(handler)
      expect(yield* feedOf(project.id)).toStrictEqual([])
    }).pipe(fresh))
})
