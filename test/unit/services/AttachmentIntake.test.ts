import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { SNIFF_BYTES } from "../../../src/domain/ContentType.js"
import { ValidationError } from "../../../src/domain/Errors.js"
import { AttachmentId, newId, ProjectId, TaskId } from "../../../src/domain/Ids.js"
import { AttachmentStorage, type ContentKey } from "../../../src/repositories/AttachmentStorage.js"
import { MemoryAttachmentStorage } from "../../../src/repositories/memory/MemoryAttachmentStorage.js"
import { receiveFile } from "../../../src/services/AttachmentIntake.js"
import { DEFAULT_ALLOWED_TYPES } from "../../../src/domain/ContentType.js"
import { PNG, textOf } from "../../support/Files.js"

const settings = { maxBytes: 1024 * 1024, projectQuota: 10 * 1024 * 1024, allowedTypes: DEFAULT_ALLOWED_TYPES }
const aKey = (): ContentKey => ({ projectId: newId(ProjectId), taskId: newId(TaskId), attachmentId: newId(AttachmentId) })

/** The bytes as a client's upload arrives: in pieces of `size`. */
const inPieces = (bytes: Uint8Array, size: number) =>
  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)))

const receive = (name: string, content: Stream.Stream<Uint8Array, ValidationError>, limits = settings) =>
  Effect.gen(function* () {
    const storage = yield* AttachmentStorage
    const key = aKey()
    const result = yield* Effect.either(receiveFile(storage, limits, key, { name, content }))
    const stored = yield* storage.stored
    return { result, stored: stored.map((k) => k.attachmentId), key }
  }).pipe(Effect.provide(MemoryAttachmentStorage))

const concat = (...parts: ReadonlyArray<Uint8Array>) => new Uint8Array(Buffer.concat(parts))

describe("receiving an upload", () => {
  it.effect("decides a large file by its signature in the first bytes and stores all of it, counted and hashed", () =>
    Effect.gen(function* () {
      const file = concat(PNG, new Uint8Array(SNIFF_BYTES * 2))
      const { key, result, stored } = yield* receive("big.png", inPieces(file, 10_000))
      expect(result._tag === "Right" && { type: result.right.contentType, size: result.right.size }).toEqual({ type: "image/png", size: file.length })
      expect(stored).toEqual([key.attachmentId])
      const expected = Buffer.from(yield* Effect.promise(() => crypto.subtle.digest("SHA-256", file))).toString("hex")
      expect(result._tag === "Right" && result.right.sha256).toBe(expected)
    })
  )

  it.effect("takes text whose characters are split across pieces", () =>
    Effect.gen(function* () {
      const text = new TextEncoder().encode("€uro ünïcödé 😀 ".repeat(500))
      const { result } = yield* receive("notes.txt", inPieces(text, 7))
      expect(result._tag === "Right" && result.right.contentType).toBe("text/plain")
    })
  )

  it.effect("decides again when text turns out not to be, past the sniffed bytes: 415 octet-stream, nothing kept", () =>
    Effect.gen(function* () {
      const file = concat(textOf(SNIFF_BYTES + 100), new Uint8Array([0x00, 0x01]), textOf(100))
      const { result, stored } = yield* receive("notes.txt", inPieces(file, 64 * 1024))
      expect(result._tag === "Left" && { tag: result.left._tag, message: result.left.message }).toEqual({
        tag: "UnsupportedMediaType",
        message: "the file's bytes are application/octet-stream, which is not an allowed attachment type"
      })
      expect(stored).toEqual([])
    })
  )

  it.effect("refuses the byte past the limit, whether in the sniffed bytes or after them, and keeps nothing", () =>
    Effect.gen(function* () {
      for (const limit of [1000, SNIFF_BYTES + 1000]) {
        const atLimit = yield* receive("a.txt", inPieces(textOf(limit), 333), { ...settings, maxBytes: limit })
        expect(atLimit.result._tag === "Right" && atLimit.result.right.size).toBe(limit)
        const over = yield* receive("a.txt", inPieces(textOf(limit + 1), 333), { ...settings, maxBytes: limit })
        expect({ limit, tag: over.result._tag === "Left" && over.result.left._tag, stored: over.stored }).toEqual({ limit, tag: "PayloadTooLarge", stored: [] })
      }
    })
  )

  it.effect("keeps nothing of a file whose stream fails half-way (the client went away)", () =>
    Effect.gen(function* () {
      const broken = Stream.concat(inPieces(textOf(SNIFF_BYTES + 5000), 4096), Stream.fail(ValidationError.field("body", "ended early")))
      const { result, stored } = yield* receive("notes.txt", broken)
      expect(result._tag === "Left" && result.left.message).toBe("body: ended early")
      expect(stored).toEqual([])
    })
  )
})
