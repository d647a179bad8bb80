import { Chunk, DateTime, Effect, Either, Exit, Option, Stream } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Attachment } from "../domain/Attachment.js"
import { AttachmentConfig } from "../config/AttachmentConfig.js"
import { AttachmentAddedV1, AttachmentDeletedV1, makeEvent } from "../domain/DomainEvents.js"
import { AttachmentQuotaExceeded, Issue, NotFound, type RepositoryError, ValidationError } from "../domain/Errors.js"
import { AttachmentId, newId, type AttachmentId as AttachmentIdT, type TaskId } from "../domain/Ids.js"
import type { Task } from "../domain/Model.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import { Outbox } from "../events/Outbox.js"
import { AttachmentRepository } from "../repositories/AttachmentRepository.js"
import { AttachmentStorage, type ContentKey } from "../repositories/AttachmentStorage.js"
import { Transactor } from "../repositories/Transactor.js"
import { type IncomingFile, receiveFile, type ReceivedFile, type UploadFailure } from "./AttachmentIntake.js"
import { ProjectAccess } from "./ProjectAccess.js"

/** A part of an upload's body: a plain field, or a file (a multipart part with a file name). */
export type UploadPart = { readonly _tag: "Field"; readonly key: string } | ({ readonly _tag: "File"; readonly key: string } & IncomingFile)

/** The one part an upload is made of. */
export const FILE_PART = "file"

const UNREADABLE_PART =
  "a part's Content-Disposition could not be read: name the part file, and give a file name with characters beyond Latin-1 as filename*=UTF-8''<percent-encoded>"

const keyOf = (attachment: Attachment): ContentKey => ({ projectId: attachment.projectId, taskId: attachment.taskId, attachmentId: attachment.id })

const attachmentEvent = (Payload: typeof AttachmentAddedV1 | typeof AttachmentDeletedV1, task: Task, attachment: Attachment, now: DateTime.Utc) =>
  makeEvent(
    { type: "task", id: task.id, version: task.version },
    now,
    new Payload({
      projectId: attachment.projectId,
      attachmentId: attachment.id,
      filename: attachment.filename,
      contentType: attachment.contentType,
      size: attachment.size
    })
  )

/**
 * Files on tasks: editors upload and delete, every member lists and downloads. An upload's
 * bytes are stored first, outside any unit of work (a client may take long to send them); its
 * metadata and `attachment.added.v1` are then recorded together, under the project's row lock,
 * after the quota check. Whatever fails on the way, the stored bytes are removed again.
 */
export class AttachmentService extends Effect.Service<AttachmentService>()("flowboard/AttachmentService", {
  effect: Effect.gen(function* () {
    const attachments = yield* AttachmentRepository
    const storage = yield* AttachmentStorage
    const tx = yield* Transactor
    const outbox = yield* Outbox
    const access = yield* ProjectAccess
    const settings = yield* AttachmentConfig

    const quotaExceeded = (used: number, size: number) =>
      new AttachmentQuotaExceeded({
        message: `the project's attachments may take ${settings.projectQuota} bytes (ATTACHMENT_PROJECT_QUOTA); ${used} are in use${size > 0 ? `, and this file has ${size}` : ""}`,
        quota: settings.projectQuota,
        used,
        size
      })

    /** The parts of the body in order: exactly one, the file. */
    const receiveParts = (key: ContentKey, parts: Stream.Stream<UploadPart, UploadFailure>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const pull = yield* Stream.toPull(parts)
          let received: ReceivedFile | undefined
          for (;;) {
            const next = yield* Effect.either(pull)
            if (Either.isLeft(next)) {
              if (Option.isSome(next.left)) return yield* Effect.fail(next.left.value)
              break
            }
            for (const part of Chunk.toReadonlyArray(next.right)) {
              // The parser gives a part whose Content-Disposition it could not read no name.
              if (part.key === "") return yield* new ValidationError({ message: `body: ${UNREADABLE_PART}`, issues: [new Issue({ path: [], message: UNREADABLE_PART })] })
              if (part.key === FILE_PART && part._tag === "Field") return yield* ValidationError.field(FILE_PART, "must be a file: a part with a file name")
              if (part._tag === "Field" || part.key !== FILE_PART) {
                return yield* ValidationError.field(part.key, `is not a part of this request: send one part, the file, named ${FILE_PART}`)
              }
              if (received !== undefined) return yield* ValidationError.field(FILE_PART, "send one file per request")
              received = yield* receiveFile(storage, settings, key, part)
            }
          }
          if (received === undefined) return yield* ValidationError.field(FILE_PART, `is required: send the file as the multipart/form-data part named ${FILE_PART}`)
          return received
        })
      )

    /** Removes the bytes under `key` unless an attachment row says they are kept: after a failed or interrupted upload. */
    const discard = (key: ContentKey) =>
      attachments.findById(key.attachmentId).pipe(
        Effect.flatMap((row) => (Option.isSome(row) ? Effect.void : storage.remove(key))),
        Effect.catchAll((error) => Effect.logWarning("could not remove the bytes of a refused upload", error.message))
      )

    const findIn = (taskId: TaskId, id: AttachmentIdT) =>
      Effect.flatMap(attachments.findById(id), (row) =>
        Option.isSome(row) && row.value.taskId === taskId ? Effect.succeed(row.value) : Effect.fail(NotFound.of("attachment", id))
      )

    return {
      upload: Effect.fn("AttachmentService.upload")(function* (actor: Actor, taskId: TaskId, parts: Stream.Stream<UploadPart, UploadFailure>) {
        // Refusals that need no byte of the body come first: no access, or a project already full.
        const { task } = yield* access.requireTask(actor, taskId, "editor")
        const usedBefore = yield* attachments.usage(task.projectId)
        if (usedBefore >= settings.projectQuota) return yield* quotaExceeded(usedBefore, 0)

        const key: ContentKey = { projectId: task.projectId, taskId, attachmentId: newId(AttachmentId) }
        const record = (file: ReceivedFile) =>
          tx.transaction(
            Effect.gen(function* () {
              // The project row, held: concurrent uploads to one project take turns at the quota.
              yield* access.require(actor, task.projectId, "editor", "noKeyUpdate")
              const { task: held } = yield* access.requireTask(actor, taskId, "editor", true)
              const used = yield* attachments.usage(task.projectId)
              if (used + file.size > settings.projectQuota) return yield* quotaExceeded(used, file.size)
              const now = yield* DateTime.now
              const attachment = new Attachment({ id: key.attachmentId, taskId, projectId: task.projectId, ...file, uploadedBy: actor.user.id, createdAt: now })
              yield* attachments.insert(attachment)
              yield* outbox.record(actor, [attachmentEvent(AttachmentAddedV1, held, attachment, now)])
              return attachment
            })
          )
        return yield* Effect.flatMap(receiveParts(key, parts), record).pipe(
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : discard(key)))
        )
      }),

      list: Effect.fn("AttachmentService.list")(function* (actor: Actor, taskId: TaskId, page: { readonly limit: number; readonly cursor: string | null }) {
        yield* access.requireTask(actor, taskId, "viewer")
        const after = page.cursor === null ? null : decodeCursor(page.cursor)
        if (page.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        return toPage(yield* attachments.listByTask(taskId, { limit: page.limit + 1, after }), page.limit)
      }),

      get: Effect.fn("AttachmentService.get")(function* (actor: Actor, taskId: TaskId, id: AttachmentIdT) {
        yield* access.requireTask(actor, taskId, "viewer")
        return yield* findIn(taskId, id)
      }),

      /** The attachment and its bytes, streamed from storage as the response is written. */
      download: Effect.fn("AttachmentService.download")(function* (actor: Actor, taskId: TaskId, id: AttachmentIdT) {
        yield* access.requireTask(actor, taskId, "viewer")
        const attachment = yield* findIn(taskId, id)
        const content = yield* storage.get(keyOf(attachment))
        if (Option.isNone(content)) {
          yield* Effect.logError("an attachment's bytes are missing from storage").pipe(Effect.annotateLogs("attachmentId", id))
          return yield* NotFound.of("attachment", id)
        }
        return { attachment, content: content.value } as const
      }),

      delete: Effect.fn("AttachmentService.delete")(function* (actor: Actor, taskId: TaskId, id: AttachmentIdT) {
        const attachment = yield* tx.transaction(
          Effect.gen(function* () {
            const { task } = yield* access.requireTask(actor, taskId, "editor")
            const found = yield* findIn(taskId, id)
            if (!(yield* attachments.delete(id))) return yield* NotFound.of("attachment", id)
            yield* outbox.record(actor, [attachmentEvent(AttachmentDeletedV1, task, found, yield* DateTime.now)])
            return found
          })
        )
        // After the commit: bytes removed first could not be put back if the unit failed.
        yield* storage.remove(keyOf(attachment)).pipe(
          Effect.catchAll((error: RepositoryError) =>
            Effect.logWarning("an attachment's bytes were left in storage", error.message).pipe(Effect.annotateLogs("attachmentId", id))
          )
        )
      })
    } as const
  })
}) {}
