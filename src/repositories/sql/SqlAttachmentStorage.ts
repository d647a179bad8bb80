import { SqlClient, SqlSchema } from "@effect/sql"
import { Chunk, Effect, Exit, Layer, Option, Schema, Stream } from "effect"
import type { RepositoryError } from "../../domain/Errors.js"
import { AttachmentId, ProjectId, TaskId } from "../../domain/Ids.js"
import { AttachmentStorage, type ContentKey } from "../AttachmentStorage.js"
import { traced } from "./SqlSupport.js"

/** One row's bytes: large enough that a 10 MiB file is 40 statements, small enough to hold a few. */
export const CHUNK_BYTES = 256 * 1024
/** Chunks read per statement when streaming a download. */
const CHUNKS_PER_READ = 4

const ChunkRow = Schema.Struct({
  attachmentId: AttachmentId,
  seq: Schema.Int,
  taskId: TaskId,
  projectId: ProjectId,
  data: Schema.Uint8ArrayFromSelf
})
const StoredChunk = Schema.Struct({ seq: Schema.Int, data: Schema.Uint8ArrayFromSelf })
type StoredChunk = typeof StoredChunk.Type

/**
 * Attachment bytes in the database (`attachment_chunks`, bytea), on Postgres and PGlite alike.
 * An upload is written a chunk per statement as it streams in, outside any transaction (a
 * unit of work must not stay open while a client sends: on PGlite it would hold the only
 * connection); a failed or interrupted one deletes what it wrote. The chunks reference their
 * task, so a task's or project's deletion takes them in its own transaction.
 */
export const SqlAttachmentStorageLive = Layer.effect(
  AttachmentStorage,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insertChunk = SqlSchema.void({
      Request: ChunkRow,
      execute: (row) => sql`INSERT INTO attachment_chunks ${sql.insert(row)}`
    })
    const readChunks = SqlSchema.findAll({
      Request: Schema.Struct({ attachmentId: AttachmentId, taskId: TaskId, from: Schema.Int }),
      Result: StoredChunk,
      execute: ({ attachmentId, from, taskId }) =>
        sql`SELECT seq, data FROM attachment_chunks
            WHERE attachment_id = ${attachmentId} AND task_id = ${taskId} AND seq >= ${from}
            ORDER BY seq LIMIT ${CHUNKS_PER_READ}`
    })

    const storedKeys = SqlSchema.findAll({
      Request: Schema.Undefined,
      Result: Schema.Struct({ projectId: ProjectId, taskId: TaskId, attachmentId: AttachmentId }),
      execute: () => sql`SELECT DISTINCT project_id, task_id, attachment_id FROM attachment_chunks ORDER BY attachment_id`
    })

    const remove = (key: ContentKey) =>
      sql`DELETE FROM attachment_chunks WHERE attachment_id = ${key.attachmentId}`.pipe(Effect.asVoid, traced("SqlAttachmentStorage.remove"))

    const page = (key: ContentKey, from: number) =>
      readChunks({ attachmentId: key.attachmentId, taskId: key.taskId, from }).pipe(traced("SqlAttachmentStorage.read"))

    /**
     * The bytes, a read of `CHUNKS_PER_READ` chunks at a time, starting with `first` (the read
     * that found them). The next read is made before a full read's chunks are emitted, so the
     * stream ends exactly after the last chunk.
     */
    const chunksFrom = (key: ContentKey, first: ReadonlyArray<StoredChunk>): Stream.Stream<Uint8Array, RepositoryError> =>
      Stream.paginateChunkEffect(first, (rows) => {
        const emitted = Chunk.fromIterable(rows.map((row) => row.data))
        const last = rows[rows.length - 1]
        if (rows.length < CHUNKS_PER_READ || last === undefined) return Effect.succeed([emitted, Option.none()] as const)
        return Effect.map(page(key, last.seq + 1), (next) => [emitted, next.length === 0 ? Option.none() : Option.some(next)] as const)
      })

    return AttachmentStorage.of({
      kind: "database",
      put: (key, content) =>
        Effect.suspend(() => {
          let seq = 0
          let size = 0
          let pending: Buffer = Buffer.alloc(0)
          const write = (data: Uint8Array) =>
            insertChunk({ attachmentId: key.attachmentId, seq: seq++, taskId: key.taskId, projectId: key.projectId, data }).pipe(
              traced("SqlAttachmentStorage.write")
            )
          const fill = Stream.runForEach(content, (chunk) => {
            size += chunk.length
            pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk])
            return Effect.whileLoop({
              while: () => pending.length >= CHUNK_BYTES,
              body: () => {
                const full = pending.subarray(0, CHUNK_BYTES)
                pending = pending.subarray(CHUNK_BYTES)
                return write(full)
              },
              step: () => {}
            })
          })
          const last = Effect.suspend(() => (pending.length > 0 ? write(pending) : Effect.void))
          return fill.pipe(
            Effect.zipRight(last),
            Effect.map(() => size),
            Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.ignore(remove(key))))
          )
        }),
      get: (key) => Effect.map(page(key, 0), (rows) => (rows.length === 0 ? Option.none() : Option.some(chunksFrom(key, rows)))),
      remove,
      removeTask: (projectId, taskId) =>
        sql`DELETE FROM attachment_chunks WHERE project_id = ${projectId} AND task_id = ${taskId}`.pipe(
          Effect.asVoid,
          traced("SqlAttachmentStorage.removeTask")
        ),
      removeProject: (projectId) =>
        sql`DELETE FROM attachment_chunks WHERE project_id = ${projectId}`.pipe(Effect.asVoid, traced("SqlAttachmentStorage.removeProject")),
      stored: storedKeys(undefined).pipe(traced("SqlAttachmentStorage.stored"))
    })
  })
)
