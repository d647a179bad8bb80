import { Effect, Either, Option, Schema } from "effect"
import { decodePayload } from "../../domain/DomainEvents.js"
import type { OutboxEnvelope } from "../../domain/Events.js"
import { ProjectId, TaskId } from "../../domain/Ids.js"
import { AttachmentStorage } from "../../repositories/AttachmentStorage.js"
import { handlerRetry } from "../../resilience/RetrySchedules.js"
import type { EventHandler } from "../EventHandler.js"

export const ATTACHMENT_CONTENT_HANDLER = "attachment-content"

export const ATTACHMENT_CONTENT_EVENT_TYPES = ["task.deleted.v1", "project.deleted.v1"] as const

const taskIdOf = Schema.decodeUnknownOption(TaskId)
const projectIdOf = Schema.decodeUnknownOption(ProjectId)

/**
 * The bytes of a deleted task's or project's attachments. Their rows went with the task in its
 * transaction (and, in the database storage, their bytes too: the chunks cascade); a directory
 * or memory cannot take part in a transaction, so the deletion's event removes them, retried
 * and dead-lettered like any handler's work. Removing what is not there is a success, so a
 * repeat changes nothing.
 */
export const AttachmentContentHandler = Effect.gen(function* () {
  const storage = yield* AttachmentStorage

  const handle = Effect.fn("AttachmentContentHandler.handle")(function* (event: OutboxEnvelope) {
    if (event.type === "project.deleted.v1") {
      const projectId = projectIdOf(event.aggregateId)
      if (Option.isSome(projectId)) yield* storage.removeProject(projectId.value)
      return
    }
    if (event.type !== "task.deleted.v1") return
    const payload = decodePayload("task.deleted.v1", event.payload)
    const taskId = taskIdOf(event.aggregateId)
    if (Either.isRight(payload) && Option.isSome(taskId)) yield* storage.removeTask(payload.right.projectId, taskId.value)
  })

  return {
    name: ATTACHMENT_CONTENT_HANDLER,
    types: ATTACHMENT_CONTENT_EVENT_TYPES,
    concurrency: 2,
    retry: handlerRetry,
    handle
  } satisfies EventHandler
})
