import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { CommentId, newId, TaskId } from "../../../src/domain/Ids.js"
import { CreateComment } from "../../../src/domain/Requests.js"
import { CommentRepository } from "../../../src/repositories/CommentRepository.js"
import { CommentService } from "../../../src/services/CommentService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { aMember, aProject, aTask, expectFailure, expectInvalid, fresh, recording, signUp, summary } from "./Fixtures.js"

const say = (body: string) => new CreateComment({ body })

/** A project with an owner, an editor and a viewer, and one task to talk about. */
const discussion = Effect.gen(function* () {
  const owner = yield* signUp()
  const project = yield* aProject(owner.actor)
  const editor = yield* aMember(owner.actor, project, "editor")
  const viewer = yield* aMember(owner.actor, project, "viewer")
  const task = yield* aTask(owner.actor, project.id)
  return { owner, editor, viewer, project, task }
})

describe("CommentService", () => {
  it.effect("adds a comment by the caller and records comment.added.v1 on the task", () =>
    Effect.gen(function* () {
      const { editor, viewer, task } = yield* discussion
      const comments = yield* CommentService
      const [comment, events] = yield* recording(comments.add(editor.actor, task.id, say("Looks good")))
      expect(comment).toMatchObject({ taskId: task.id, authorId: editor.user.id, body: "Looks good" })
      expect((yield* comments.list(viewer.actor, task.id, { limit: 10, cursor: null })).items).toEqual([comment])
      expect(events.map(summary)).toEqual([{ type: "comment.added.v1", aggregateId: task.id, aggregateVersion: task.version }])
      expect(events[0]!.payload).toEqual({ projectId: task.projectId, commentId: comment.id, authorId: editor.user.id })
    }).pipe(fresh)
  )

  it.effect("lets viewers read but not write, and hides the task from non-members", () =>
    Effect.gen(function* () {
      const { viewer, task } = yield* discussion
      const stranger = yield* signUp()
      const comments = yield* CommentService
      const [, events] = yield* recording(
        Effect.all([
          comments.add(viewer.actor, task.id, say("Me too")).pipe(expectFailure("Forbidden")),
          comments.add(stranger.actor, task.id, say("Hello?")).pipe(expectFailure("NotFound")),
          comments.list(stranger.actor, task.id, { limit: 10, cursor: null }).pipe(expectFailure("NotFound")),
          comments.add(viewer.actor, newId(TaskId), say("Anyone?")).pipe(expectFailure("NotFound"))
        ])
      )
      expect(events).toEqual([])
      expect((yield* comments.list(viewer.actor, task.id, { limit: 10, cursor: null })).items).toEqual([])
    }).pipe(fresh)
  )

  it.effect("lists a task's comments oldest first, page by page, and rejects a bad cursor", () =>
    Effect.gen(function* () {
      const { owner, editor, task, project } = yield* discussion
      const comments = yield* CommentService
      const bodies = ["one", "two", "three", "four", "five"]
      for (const body of bodies) yield* comments.add(body.length % 2 === 0 ? owner.actor : editor.actor, task.id, say(body))
      // Comments on another task stay there.
      yield* comments.add(owner.actor, (yield* aTask(owner.actor, project.id)).id, say("elsewhere"))

      const first = yield* comments.list(editor.actor, task.id, { limit: 2, cursor: null })
      const second = yield* comments.list(editor.actor, task.id, { limit: 2, cursor: first.nextCursor })
      const third = yield* comments.list(editor.actor, task.id, { limit: 2, cursor: second.nextCursor })
      expect([first, second, third].map((page) => page.items.map((c) => c.body))).toEqual([["one", "two"], ["three", "four"], ["five"]])
      expect(third.nextCursor).toBeNull()
      yield* comments.list(editor.actor, task.id, { limit: 2, cursor: "!!" }).pipe(expectInvalid("cursor"))
    }).pipe(fresh)
  )

  it.effect("lets the author delete a comment and records comment.deleted.v1", () =>
    Effect.gen(function* () {
      const { editor, task } = yield* discussion
      const comments = yield* CommentService
      const comment = yield* comments.add(editor.actor, task.id, say("Typo"))
      const [, events] = yield* recording(comments.delete(editor.actor, task.id, comment.id))
      expect(events.map(summary)).toEqual([{ type: "comment.deleted.v1", aggregateId: task.id, aggregateVersion: 1 }])
      expect(events[0]!.payload).toMatchObject({ commentId: comment.id, authorId: editor.user.id })
      expect((yield* comments.list(editor.actor, task.id, { limit: 10, cursor: null })).items).toEqual([])
    }).pipe(fresh)
  )

  it.effect("lets an owner delete anyone's comment, but no other member", () =>
    Effect.gen(function* () {
      const { owner, editor, viewer, project, task } = yield* discussion
      const other = yield* aMember(owner.actor, project, "editor")
      const comments = yield* CommentService
      const comment = yield* comments.add(editor.actor, task.id, say("Off topic"))
      const [, events] = yield* recording(
        Effect.all([
          comments.delete(other.actor, task.id, comment.id).pipe(expectFailure("Forbidden")),
          comments.delete(viewer.actor, task.id, comment.id).pipe(expectFailure("Forbidden"))
        ])
      )
      expect(events).toEqual([])
      expect(yield* Effect.flatMap(CommentRepository, (c) => c.findById(comment.id))).toEqual(Option.some(comment))
      yield* comments.delete(owner.actor, task.id, comment.id)
      expect(yield* Effect.flatMap(CommentRepository, (c) => c.findById(comment.id))).toEqual(Option.none())
    }).pipe(fresh)
  )

  it.effect("answers NotFound for a missing comment, one on another task, or to a non-member", () =>
    Effect.gen(function* () {
      const { owner, editor, project, task } = yield* discussion
      const stranger = yield* signUp()
      const otherTask = yield* aTask(owner.actor, project.id)
      const comments = yield* CommentService
      const comment = yield* comments.add(editor.actor, task.id, say("Here"))
      yield* comments.delete(owner.actor, task.id, newId(CommentId)).pipe(expectFailure("NotFound"))
      yield* comments.delete(owner.actor, otherTask.id, comment.id).pipe(expectFailure("NotFound"))
      yield* comments.delete(stranger.actor, task.id, comment.id).pipe(expectFailure("NotFound"))
      expect((yield* comments.list(owner.actor, task.id, { limit: 10, cursor: null })).items).toEqual([comment])
    }).pipe(fresh)
  )

  it.effect("goes away with its task", () =>
    Effect.gen(function* () {
      const { owner, editor, task } = yield* discussion
      const comments = yield* CommentService
      const comment = yield* comments.add(editor.actor, task.id, say("Bye"))
      yield* Effect.flatMap(TaskService, (tasks) => tasks.delete(owner.actor, task.id))
      expect(yield* Effect.flatMap(CommentRepository, (c) => c.findById(comment.id))).toEqual(Option.none())
    }).pipe(fresh)
  )
})
