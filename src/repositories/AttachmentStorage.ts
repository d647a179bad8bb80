import { Context, type Effect, type Option, type Stream } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { AttachmentId, ProjectId, TaskId } from "../domain/Ids.js"

/** Where an attachment's bytes are filed: its project and task, so that their deletion can find them. */
export interface ContentKey {
  readonly projectId: ProjectId
  readonly taskId: TaskId
  readonly attachmentId: AttachmentId
}

/**
 * The bytes of attachments, by id: the database (`bytea`, the default), a directory, or memory
 * (tests). Adapters never see a client's file name: content is addressed by `ContentKey`
 * alone, whose parts are UUIDs. Metadata is the `AttachmentRepository`'s; content without
 * metadata is never served.
 */
export class AttachmentStorage extends Context.Tag("flowboard/AttachmentStorage")<
  AttachmentStorage,
  {
    /** `database`, `filesystem` or `memory`: reported at start. */
    readonly kind: string
    /**
     * Stores the bytes under `key`, reading the stream to its end; answers how many there were.
     * All or nothing: when the stream fails (a limit, a refused type, the client gone) or the
     * fiber is interrupted, nothing stays stored, and the stream's failure is the answer.
     */
    readonly put: <E>(key: ContentKey, content: Stream.Stream<Uint8Array, E>) => Effect.Effect<number, E | RepositoryError>
    /** The bytes, streamed; `None` when nothing is stored under `key`. */
    readonly get: (key: ContentKey) => Effect.Effect<Option.Option<Stream.Stream<Uint8Array, RepositoryError>>, RepositoryError>
    /** Forgets one attachment's bytes; nothing stored under `key` is fine. */
    readonly remove: (key: ContentKey) => Effect.Effect<void, RepositoryError>
    /** Forgets the bytes of every attachment of a task (deleted), or of a project (deleted). */
    readonly removeTask: (projectId: ProjectId, taskId: TaskId) => Effect.Effect<void, RepositoryError>
    readonly removeProject: (projectId: ProjectId) => Effect.Effect<void, RepositoryError>
    /** Every key bytes are stored under: where a check of storage against the metadata starts. */
    readonly stored: Effect.Effect<ReadonlyArray<ContentKey>, RepositoryError>
  }
>() {}
