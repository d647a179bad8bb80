import { Chunk, Effect, Either, Option, Stream } from "effect"
import { fileTypeFromBuffer } from "file-type"
import { createHash } from "node:crypto"
import type { AttachmentSettings } from "../config/AttachmentConfig.js"
import { decideType, refusalMessage, SNIFF_BYTES, textScanner, typeOfUnsigned } from "../domain/ContentType.js"
import { PayloadTooLarge, type RepositoryError, UnsupportedMediaType, ValidationError } from "../domain/Errors.js"
import { normaliseFilename } from "../domain/Filename.js"
import type { AttachmentStorage, ContentKey } from "../repositories/AttachmentStorage.js"

/** Why the body of an upload could not be read: a refusal the client is told as it is. */
export type UploadFailure = ValidationError | PayloadTooLarge

/** One file of an upload, as the HTTP layer hands it over (a multipart part with a file name). */
export interface IncomingFile {
  readonly name: string
  readonly content: Stream.Stream<Uint8Array, UploadFailure>
}

/** A file whose bytes are stored under its key and accepted: what its metadata row will say. */
export interface ReceivedFile {
  readonly filename: string
  readonly contentType: string
  readonly size: number
  readonly sha256: string
}

type Refusal = UploadFailure | UnsupportedMediaType

/**
 * The signature `file-type` finds in the first bytes, if any. Its parsers read only the buffer
 * given; one that throws on crafted input counts as no signature (the text check decides then).
 */
const signatureOf = (head: Uint8Array): Effect.Effect<Option.Option<string>> =>
  Effect.tryPromise(() => fileTypeFromBuffer(head)).pipe(
    Effect.map((found) => Option.map(Option.fromNullable(found), (type) => type.mime)),
    Effect.orElseSucceed(() => Option.none())
  )

const tooLarge = (max: number) =>
  new PayloadTooLarge({ message: `file: larger than ${max} bytes, the limit per attachment (ATTACHMENT_MAX_BYTES)`, limit: max })

const refused = (detected: string, filename: string, allowed: ReadonlyArray<string>): Either.Either<string, UnsupportedMediaType> =>
  Either.mapLeft(decideType(detected, filename, allowed), (refusal) => new UnsupportedMediaType({ message: refusalMessage(refusal), detectedType: refusal.detected }))

/**
 * Reads one uploaded file into storage under `key`, deciding its type on the way
 * (src/domain/ContentType.ts):
 *
 * 1. The first `SNIFF_BYTES` are read and held. A file over the limit, an empty one, or one of
 *    a refused type is refused here, before anything is stored.
 * 2. The rest streams through to storage, counted (over the limit: refused, nothing kept) and,
 *    when the type was decided as text, checked to the last byte: text that turns out not to be
 *    is decided again (`application/octet-stream`, refused unless allowed).
 *
 * Nothing but the held head is ever in memory. Storage keeps nothing of a failed read.
 */
export const receiveFile = (
  storage: typeof AttachmentStorage.Service,
  settings: AttachmentSettings,
  key: ContentKey,
  file: IncomingFile
): Effect.Effect<ReceivedFile, Refusal | RepositoryError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const filename = normaliseFilename(file.name)
      const max = settings.maxBytes
      const text = textScanner()
      const hash = createHash("sha256")
      let size = 0
      const take = (chunk: Uint8Array): Effect.Effect<Uint8Array, PayloadTooLarge> => {
        size += chunk.length
        if (size > max) return Effect.fail(tooLarge(max))
        text.push(chunk)
        hash.update(chunk)
        return Effect.succeed(chunk)
      }

      const pull = yield* Stream.toPull(file.content)
      // As the pull does: `None` at the end of the file, `Some` for a failure.
      const next = Effect.flatMap(pull, (chunk) => Effect.mapError(Effect.forEach(Chunk.toReadonlyArray(chunk), take), Option.some))
      const head: Array<Uint8Array> = []
      let headBytes = 0
      let ended = false
      while (!ended && headBytes < SNIFF_BYTES) {
        const read = yield* Effect.either(next)
        if (Either.isLeft(read)) {
          if (Option.isSome(read.left)) return yield* Effect.fail(read.left.value)
          ended = true
        } else {
          head.push(...read.right)
          headBytes += read.right.reduce((sum, chunk) => sum + chunk.length, 0)
        }
      }
      if (size === 0) return yield* ValidationError.field("file", "is empty")

      const sniffed = Buffer.concat(head)
      const signature = yield* signatureOf(sniffed.subarray(0, SNIFF_BYTES))
      // Without a signature, text is decided on what has been read; the rest must bear it out.
      const unsigned = () => typeOfUnsigned(ended ? text.done() : text.isText, sniffed, filename)
      let contentType = yield* refused(Option.getOrElse(signature, unsigned), filename, settings.allowedTypes)

      const rest = ended ? Stream.empty : Stream.repeatEffectChunkOption(next.pipe(Effect.map(Chunk.fromIterable)))
      const confirmed = Effect.suspend(() => {
        if (Option.isSome(signature) || ended) return Effect.void
        return Effect.map(refused(typeOfUnsigned(text.done(), sniffed, filename), filename, settings.allowedTypes), (type) => {
          contentType = type
        })
      })
      const stored = yield* storage.put(key, Stream.concat(Stream.fromIterable(head), rest).pipe(Stream.concat(Stream.execute(confirmed))))
      return { filename, contentType, size: stored, sha256: hash.digest("hex") }
    })
  )
