import { DateTime, Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { CommentAddedV1, CommentDeletedV1, makeEvent } from "../domain/DomainEvents.js"
import { CommentId, newId, type CommentId as CommentIdT, type TaskId } from "../domain/Ids.js"
import { Comment, type Task } from "../domain/Model.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import type { CreateComment } from "../domain/Requests.js"
import { Outbox } from "../events/Outbox.js"
import { CommentRepository } from "../repositories/CommentRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { ProjectAccess } from "./ProjectAccess.js"

const commentEvent = (Payload: typeof CommentAddedV1 | typeof CommentDeletedV1, task: Task, comment: Comment, now: DateTime.Utc) =>
  makeEvent({ type: "task", id: task.id, version: task.version }, now, new Payload({ projectId: task.projectId, commentId: comment.id, authorId: comment.authorId }))

export class CommentService extends Effect.Service<CommentService>()("flowboard/CommentService", {
  effect: Effect.gen(function* () {
    const comments = yield* CommentRepository
    const tx = yield* Transactor
    const outbox = yield* Outbox
    const access = yield* ProjectAccess

    return {
      add: Effect.fn("CommentService.add")(function* (actor: Actor, taskId: TaskId, input: CreateComment) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // Kept: a concurrent delete of the task waits rather than orphaning the comment.
            const { task } = yield* access.requireTask(actor, taskId, "editor", true)
            const now = yield* DateTime.now
            const comment = new Comment({ id: newId(CommentId), taskId, authorId: actor.user.id, body: input.body, createdAt: now, updatedAt: now })
            yield* comments.insert(comment)
            yield* outbox.record(actor, [commentEvent(CommentAddedV1, task, comment, now)])
            return comment
          })
        )
      }),

      list: Effect.fn("CommentService.list")(function* (actor: Actor, taskId: TaskId, page: { readonly limit: number; readonly cursor: string | null }) {
        yield* access.requireTask(actor, taskId, "viewer")
        const after = page.cursor === null ? null : decodeCursor(page.cursor)
        if (page.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        return toPage(yield* comments.listByTask(taskId, { limit: page.limit + 1, after }), page.limit)
      }),

      delete: Effect.fn("CommentService.delete")(function* (actor: Actor, taskId: TaskId, id: CommentIdT) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { task, member } = yield* access.requireTask(actor, taskId, "viewer")
            const comment = yield* comments.findById(id)
            if (Option.isNone(comment) || comment.value.taskId !== taskId) return yield* NotFound.of("comment", id)
            // Authors remove their own words; owners moderate.
            if (comment.value.authorId !== actor.user.id && member.role !== "owner") {
              return yield* new Forbidden({ message: "only the author or a project owner can delete a comment" })
            }
            const now = yield* DateTime.now
            if (!(yield* comments.delete(id))) return yield* NotFound.of("comment", id)
            yield* outbox.record(actor, [commentEvent(CommentDeletedV1, task, comment.value, now)])
          })
        )
      })
    } as const
  })
}) {}
