import { Chunk, Effect, HashMap, Layer, Option, Ref, Stream } from "effect"
import type { AttachmentId } from "../../domain/Ids.js"
import { AttachmentStorage, type ContentKey } from "../AttachmentStorage.js"

interface Stored {
  readonly key: ContentKey
  readonly bytes: Uint8Array
}

/** Served in pieces of this size, as the other adapters stream them. */
const PIECE = 64 * 1024

const pieces = (bytes: Uint8Array): ReadonlyArray<Uint8Array> =>
  Array.from({ length: Math.ceil(bytes.length / PIECE) }, (_, i) => bytes.subarray(i * PIECE, (i + 1) * PIECE))

/**
 * Attachment bytes in process memory, for tests and the e2e suites: stored only once the whole
 * stream has been read, so a failed or interrupted upload leaves nothing, as the real adapters
 * promise. Not transactional, like the directory adapter.
 */
export const MemoryAttachmentStorage = Layer.effect(
  AttachmentStorage,
  Effect.gen(function* () {
    const files = yield* Ref.make(HashMap.empty<AttachmentId, Stored>())
    return AttachmentStorage.of({
      kind: "memory",
      put: (key, content) =>
        Effect.gen(function* () {
          const chunks = yield* Stream.runCollect(content)
          const bytes = Buffer.concat(Chunk.toReadonlyArray(chunks))
          const stored: Stored = { key, bytes: new Uint8Array(bytes) }
          yield* Ref.update(files, HashMap.set(key.attachmentId, stored))
          return bytes.length
        }),
      get: (key) =>
        Effect.map(Ref.get(files), (stored) =>
          Option.map(
            Option.filter(HashMap.get(stored, key.attachmentId), (file) => file.key.taskId === key.taskId),
            (file) => Stream.fromIterable(pieces(file.bytes))
          )
        ),
      remove: (key) => Ref.update(files, HashMap.remove(key.attachmentId)),
      removeTask: (projectId, taskId) =>
        Ref.update(files, HashMap.filter((file) => !(file.key.projectId === projectId && file.key.taskId === taskId))),
      removeProject: (projectId) => Ref.update(files, HashMap.filter((file) => file.key.projectId !== projectId)),
      stored: Effect.map(Ref.get(files), (stored) => Array.from(HashMap.values(stored), (file) => file.key))
    })
  })
)
