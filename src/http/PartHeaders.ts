/**
 * Browsers and curl send a file name beyond ASCII as raw UTF-8 bytes inside the part's
 * `Content-Disposition` (`filename="議事録.pdf"`; the HTML standard's form encoding does so).
 * The platform's multipart parser (multipasta 0.2.8) decodes part headers as UTF-8 but accepts
 * only Latin-1 characters in a quoted parameter, so such a name is dropped and the part looks
 * like a field. Until the parser takes them, the upload route reads its parts with
 * `utf8NamedParts`, whose body goes through `latin1PartHeaders` first: inside part headers only,
 * each byte from 0x80 becomes the UTF-8 encoding of the Latin-1 character with that code, which
 * the parser accepts; `utf8FileName` then reads the name's characters back as the bytes they
 * stand for. File content passes through untouched.
 */
import { type HttpServerRequest, Multipart } from "@effect/platform"
import { NodeHttpServerRequest, NodeStream } from "@effect/platform-node"
import { Stream } from "effect"
import { Readable } from "node:stream"

const CR = 13
const LF = 10
const DASH = 45

type State = "content" | "delimiter" | "headers" | "epilogue"

/**
 * A stateful transform of the body's chunks, for the multipart body delimited by `boundary`.
 * The body starts with `--boundary` (the HTML form encoding sends no preamble): it is treated as
 * if preceded by the CRLF of every later delimiter.
 */
export const latin1PartHeaders = (boundary: string): ((chunk: Uint8Array) => Uint8Array) => {
  const delimiter = Buffer.from(`\r\n--${boundary}`, "latin1")
  let state: State = "content"
  let matched = 2
  // In headers: how much of CRLF CRLF has been seen (the delimiter line's own CRLF counts).
  let ending = 0
  return (chunk) => {
    // Copied only from the first byte that has to change: most chunks are returned as they are.
    const sink: { out: Array<number> | null } = { out: null }
    const keep = (from: number, to: number) => {
      if (sink.out !== null) for (let j = from; j < to; j++) sink.out.push(chunk[j]!)
    }
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!
      switch (state) {
        case "content": {
          if (matched === 0) {
            // Skip to the next CR: most of a file is not a delimiter.
            const next = chunk.indexOf(CR, i)
            keep(i, next === -1 ? chunk.length : next)
            if (next === -1) {
              i = chunk.length
              continue
            }
            i = next
          }
          const current = chunk[i]!
          keep(i, i + 1)
          if (current === delimiter[matched]) {
            matched += 1
            if (matched === delimiter.length) {
              state = "delimiter"
              matched = 0
            }
          } else {
            matched = current === CR ? 1 : 0
          }
          continue
        }
        case "delimiter":
          // After `--boundary`: `--` ends the body; otherwise the line ends and headers follow.
          keep(i, i + 1)
          if (byte === DASH) state = "epilogue"
          else if (byte === LF) {
            state = "headers"
            ending = 2
          }
          continue
        case "headers":
          if (byte < 0x80) keep(i, i + 1)
          else {
            if (sink.out === null) sink.out = Array.from(chunk.subarray(0, i))
            sink.out.push(0xc0 | (byte >> 6), 0x80 | (byte & 0x3f))
          }
          if ((ending === 0 || ending === 2) && byte === CR) ending += 1
          else if ((ending === 1 || ending === 3) && byte === LF) ending += 1
          else ending = byte === CR ? 1 : 0
          if (ending === 4) {
            state = "content"
            matched = 0
          }
          continue
        case "epilogue":
          keep(i, i + 1)
          continue
      }
    }
    return sink.out === null ? chunk : Uint8Array.from(sink.out)
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The file name as sent: characters 0x80–0xFF that `latin1PartHeaders` made of raw bytes are
 * read back as UTF-8. A name that is not UTF-8 that way (a real Latin-1 name) stays as it is, and
 * one given as `filename*=UTF-8''…` (already Unicode) too.
 */
export const utf8FileName = (name: string): string => {
  if (!/[\u0080-\u00ff]/.test(name) || /[^\u0000-\u00ff]/.test(name)) return name
  try {
    return strictUtf8.decode(Buffer.from(name, "latin1"))
  } catch {
    return name
  }
}

/** The boundary of a `multipart/form-data` Content-Type, if it names one. */
export const boundaryOf = (contentType: string | undefined): string | null => {
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;"]+))/i.exec(contentType ?? "")
  return match === null ? null : (match[1] ?? match[2] ?? null)
}

/**
 * The body's bytes. On Node, read from the socket's message without destroying it at the end:
 * the request's own `stream` destroys its source when done, which drops the connection before
 * the response is written (the upload's client saw "socket hang up").
 */
const bodyOf = (request: HttpServerRequest.HttpServerRequest): Stream.Stream<Uint8Array, unknown> => {
  const source: unknown = NodeHttpServerRequest.toIncomingMessage(request)
  return source instanceof Readable
    ? NodeStream.fromReadable<unknown, Uint8Array>(() => source, (cause) => cause, { closeOnDone: false })
    : request.stream
}

/**
 * The request's multipart parts, parsed by the platform's parser from a body whose part headers
 * went through `latin1PartHeaders`: a raw UTF-8 file name reaches the handler (read it with
 * `utf8FileName`). The parser's limits (`Multipart.withLimitsStream`) apply as to its own use.
 */
export const utf8NamedParts = (request: HttpServerRequest.HttpServerRequest): Stream.Stream<Multipart.Part, Multipart.MultipartError> =>
  Stream.suspend(() => {
    const boundary = boundaryOf(request.headers["content-type"])
    if (boundary === null) return request.multipartStream
    const transform = latin1PartHeaders(boundary)
    return bodyOf(request).pipe(
      Stream.mapError((cause) => new Multipart.MultipartError({ reason: "InternalError", cause })),
      Stream.map(transform),
      Stream.pipeThroughChannel(Multipart.makeChannel(request.headers))
    )
  })
