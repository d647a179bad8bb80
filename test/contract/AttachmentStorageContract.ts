import { expect, layer as suite } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, type Layer, Option, Stream } from "effect"
import { AttachmentId, newId, type ProjectId, type TaskId } from "../../src/domain/Ids.js"
import { ValidationError } from "../../src/domain/Errors.js"
import { AttachmentStorage, type ContentKey } from "../../src/repositories/AttachmentStorage.js"
import { givenBoard, givenTask } from "./Fixtures.js"

/** A task's place, as the adapter under test needs it to exist (a row, for the database). */
export interface Place {
  readonly projectId: ProjectId
  readonly taskId: TaskId
}

const keyIn = (place: Place): ContentKey => ({ ...place, attachmentId: newId(AttachmentId) })

/** Bytes no two tests share, which no adapter could get right by accident. */
const noise = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size)
  crypto.getRandomValues(bytes.subarray(0, Math.min(size, 65536)))
  for (let i = 65536; i < size; i++) bytes[i] = (bytes[i - 65536]! + i) & 0xff
  return bytes
}

const inPieces = (bytes: Uint8Array, size: number) =>
  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)))

const read = (key: ContentKey) =>
  Effect.gen(function* () {
    const storage = yield* AttachmentStorage
    const found = yield* storage.get(key)
    if (Option.isNone(found)) return Option.none<Uint8Array>()
    const chunks = yield* Stream.runCollect(found.value)
    return Option.some(new Uint8Array(Buffer.concat(Chunk.toReadonlyArray(chunks))))
  })

const storedIds = Effect.flatMap(AttachmentStorage, (storage) => Effect.map(storage.stored, (keys) => keys.map((key) => key.attachmentId)))

/**
 * What every attachment storage must do: the database's (on PGlite and Postgres), the
 * directory's and the in-memory one pass the same cases. `place` makes a task (of a project of
 * its own) the bytes may belong to; `R` is what it needs beyond the storage.
 */
export const attachmentStorageContract = <R>(
  name: string,
  layer: Layer.Layer<AttachmentStorage | R, unknown>,
  place: Effect.Effect<Place, unknown, R>
): void =>
  suite(layer, { timeout: 60_000 })(`AttachmentStorage: ${name}`, (it) => {
    it.effect("gives back exactly the bytes it was given, however they were cut, and counts them", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const here = yield* place
        // Across the database adapter's chunks (256 KiB) and its reads (four chunks).
        for (const [size, piece] of [[1, 1], [70_000, 4096], [1_100_000, 100_003]] as const) {
          const key = keyIn(here)
          const bytes = noise(size)
          expect(yield* storage.put(key, inPieces(bytes, piece))).toBe(size)
          const back = yield* read(key)
          // Compared as buffers: a deep equality over a megabyte of elements takes seconds.
          expect({ size, same: Option.exists(back, (got) => Buffer.from(got).equals(bytes)) }).toEqual({ size, same: true })
        }
      }))

    it.effect("has nothing under a key it was never given, or under another task's", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const [here, there] = [yield* place, yield* place]
        const key = keyIn(here)
        yield* storage.put(key, Stream.make(noise(10)))
        expect(yield* storage.get(keyIn(here))).toEqual(Option.none())
        expect(yield* storage.get({ ...key, taskId: there.taskId, projectId: there.projectId })).toEqual(Option.none())
      }))

    it.effect("keeps nothing when the stream fails half-way, and answers with the stream's failure", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const key = keyIn(yield* place)
        const failing = Stream.concat(inPieces(noise(600_000), 50_000), Stream.fail(ValidationError.field("file", "refused half-way")))
        const error = yield* Effect.flip(storage.put(key, failing))
        expect(error.message).toBe("file: refused half-way")
        expect(yield* storage.get(key)).toEqual(Option.none())
        expect(yield* storedIds).not.toContain(key.attachmentId)
      }))

    it.effect("keeps nothing when the upload is interrupted", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const key = keyIn(yield* place)
        const started = yield* Deferred.make<void>()
        // A client that sends 300 KiB and then nothing: the request is cut off while the bytes are being written.
        const stalled = Stream.concat(inPieces(noise(300_000), 30_000), Stream.fromEffect(Deferred.succeed(started, undefined)).pipe(Stream.drain, Stream.concat(Stream.never)))
        const upload = yield* Effect.fork(storage.put(key, stalled))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(upload)
        expect(yield* storage.get(key)).toEqual(Option.none())
        expect(yield* storedIds).not.toContain(key.attachmentId)
      }))

    it.effect("forgets one attachment's bytes on remove, and a remove of nothing is fine", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const here = yield* place
        const [gone, kept] = [keyIn(here), keyIn(here)]
        yield* storage.put(gone, Stream.make(noise(100)))
        yield* storage.put(kept, Stream.make(noise(100)))
        yield* storage.remove(gone)
        yield* storage.remove(gone)
        yield* storage.remove(keyIn(here))
        expect(yield* storage.get(gone)).toEqual(Option.none())
        expect(Option.isSome(yield* storage.get(kept))).toBe(true)
      }))

    it.effect("forgets a task's bytes, or a project's, and no one else's", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const [first, second, elsewhere] = [yield* place, yield* place, yield* place]
        const keys = [keyIn(first), keyIn(first), keyIn(second), keyIn(elsewhere)] as const
        for (const key of keys) yield* storage.put(key, Stream.make(noise(64)))
        yield* storage.removeTask(first.projectId, first.taskId)
        const left = yield* storedIds
        expect(keys.map((key) => left.includes(key.attachmentId))).toEqual([false, false, true, true])
        yield* storage.removeProject(second.projectId)
        yield* storage.removeProject(second.projectId)
        const after = yield* storedIds
        expect([after.includes(keys[2].attachmentId), after.includes(keys[3].attachmentId)]).toEqual([false, true])
      }))

    it.effect("lists the keys it holds bytes under", () =>
      Effect.gen(function* () {
        const storage = yield* AttachmentStorage
        const key = keyIn(yield* place)
        yield* storage.put(key, Stream.make(noise(5)))
        expect((yield* storage.stored).filter((k) => k.attachmentId === key.attachmentId)).toEqual([key])
      }))
  })

/** A task row: the chunks reference their task. */
export const aTaskRow = Effect.gen(function* () {
  const board = yield* givenBoard()
  const task = yield* givenTask(board)
  return { projectId: board.project.id, taskId: task.id }
})
