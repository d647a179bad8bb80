import { Context, type Effect, type Option } from "effect"
import type { Attachment } from "../domain/Attachment.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { AttachmentId, ProjectId, TaskId } from "../domain/Ids.js"
import type { PageRequest } from "../domain/Page.js"

/**
 * What is known about each attachment (its bytes are behind `AttachmentStorage`). A task's
 * deletion, and so its project's, deletes its attachments' rows with it.
 */
export class AttachmentRepository extends Context.Tag("flowboard/AttachmentRepository")<
  AttachmentRepository,
  {
    readonly insert: (attachment: Attachment) => Effect.Effect<void, RepositoryError>
    readonly findById: (id: AttachmentId) => Effect.Effect<Option.Option<Attachment>, RepositoryError>
    /** `false` when there was no such attachment (another transaction deleted it first). */
    readonly delete: (id: AttachmentId) => Effect.Effect<boolean, RepositoryError>
    /** A task's attachments in id (upload) order, `limit + 1` rows after the cursor id. */
    readonly listByTask: (taskId: TaskId, page: PageRequest) => Effect.Effect<ReadonlyArray<Attachment>, RepositoryError>
    /** The bytes all of a project's attachments take: what its quota is measured against. */
    readonly usage: (projectId: ProjectId) => Effect.Effect<number, RepositoryError>
  }
>() {}
