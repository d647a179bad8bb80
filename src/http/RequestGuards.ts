import { type HttpApp, HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { Issue, LengthRequired, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType, ValidationError } from "../domain/Errors.js"
import { uploadBodyLimit } from "../config/AttachmentConfig.js"
import { matchOperation, pathnameOf } from "./RouteTemplate.js"

/**
 * Cheap refusals, before authentication and before any handler: a method the path does not
 * take (405), a body too large or of unknown length (413, 411), a body that is not JSON (415),
 * JSON nested deeper than any request of this API (400). The error-shaping middleware outside
 * completes each body (`status`, `correlationId`).
 */

/** No request of this API nests deeper than 4 (a bulk operation's labels); this leaves room. */
export const MAX_JSON_DEPTH = 32

type Refusal = LengthRequired | MethodNotAllowed | PayloadTooLarge | UnsupportedMediaType | ValidationError

const refuse = (status: number, error: Refusal, headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson(
    error._tag === "ValidationError"
      ? { _tag: error._tag, message: error.message, issues: error.issues }
      : error._tag === "PayloadTooLarge" && error.limit !== undefined
      ? { _tag: error._tag, message: error.message, limit: error.limit }
      : { _tag: error._tag, message: error.message },
    { status, headers }
  )

/**
 * `application/json`, with no charset but UTF-8 (RFC 8259 §8.1: JSON exchanged between systems
 * is UTF-8). Not `+json` types: the platform decodes a payload as JSON only under this one.
 */
export const isJsonType = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const [type = "", ...params] = header.split(";").map((part) => part.trim().toLowerCase())
  if (type !== "application/json") return false
  return params.every((param) => !param.startsWith("charset=") || /^charset="?utf-8"?$/.test(param))
}

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, by one pass over the text
 * (brackets inside strings do not count). `JSON.parse` recurses, and a 20,000-level body used
 * to exhaust the stack of the decode after it: a defect, answered 500.
 */
export const nestsDeeperThan = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: the next character is escaped
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** `multipart/form-data` with the boundary its parts are separated by. */
export const isMultipartType = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const [type = "", ...params] = header.split(";").map((part) => part.trim())
  return type.toLowerCase() === "multipart/form-data" && params.some((param) => /^boundary=("[^"]+"|[^\s"]+)$/i.test(param))
}

const decodes = (segment: string): boolean => {
  try {
    decodeURIComponent(segment)
    return true
  } catch {
    return false
  }
}

/** A refusal of the body as a whole: the issue's path is empty, the message says "body". */
const bodyIssue = (message: string) => new ValidationError({ message: `body: ${message}`, issues: [new Issue({ path: [], message })] })

const hasBody = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const length = request.headers["content-length"]
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length.trim() !== "0")
}

/**
 * 405 with `Allow` for a path the API has with other methods (an unknown path goes on to the
 * router's 404). Then the body: refused with 413 from its `Content-Length` before it is read, or
 * with 411 when it has no length (chunked): Node would have to read it to find its size, and a
 * read cut off at the limit resets the connection instead of answering. An operation that takes
 * a body wants it as JSON (415 otherwise, also when the type is missing: a form-encoded body
 * used to be decoded as if it were the payload); a body sent to one that takes none must still
 * say it is JSON. The read limit stays in place below, in case a length is ever not what Node frames.
 *
 * An upload (an operation whose body is `multipart/form-data`, attachments) has its own limit:
 * a file of `attachmentMaxBytes` and its framing (`uploadBodyLimit`), not `maxBytes`; it must
 * say it is multipart, with a boundary; its body is left unread for the handler to stream.
 */
export const guardRequests =
  (maxBytes: number, attachmentMaxBytes: number = maxBytes) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const match = matchOperation(request.method, pathnameOf(request))
      if (Option.isNone(match.operation)) {
        if (match.allowed.length === 0) return yield* app
        return refuse(405, new MethodNotAllowed({ message: `${request.method} is not allowed here; this path takes ${match.allowed.join(", ")}` }), {
          allow: match.allowed.join(", ")
        })
      }
      // A parameter the router cannot even decode would otherwise be its 404 "no such route".
      const undecodable = match.operation.value.params.find(([, raw]) => !decodes(raw))
      if (undecodable !== undefined) {
        const [name] = undecodable
        return refuse(400, new ValidationError({ message: `${name}: is not valid percent-encoding`, issues: [new Issue({ path: [name], message: "is not valid percent-encoding" })] }))
      }
      const length = request.headers["content-length"]
      if (length === undefined && request.headers["transfer-encoding"] !== undefined) {
        return refuse(411, new LengthRequired({ message: "a request body needs a Content-Length header" }))
      }
      if (match.operation.value.multipart) {
        const uploadMax = uploadBodyLimit(attachmentMaxBytes)
        if (Number(length ?? "0") > uploadMax) {
          const message = `request body larger than ${uploadMax} bytes: an attachment may have ${attachmentMaxBytes} (ATTACHMENT_MAX_BYTES)`
          return refuse(413, new PayloadTooLarge({ message, limit: attachmentMaxBytes }))
        }
        if (!isMultipartType(request.headers["content-type"])) {
          return refuse(415, new UnsupportedMediaType({ message: "send the file as multipart/form-data (with its boundary), one part named file" }))
        }
        return yield* HttpIncomingMessage.withMaxBodySize(app, Option.some(uploadMax))
      }
      if (Number(length ?? "0") > maxBytes) return refuse(413, new PayloadTooLarge({ message: `request body larger than ${maxBytes} bytes` }))
      const body = hasBody(request)
      const json = isJsonType(request.headers["content-type"])
      if ((match.operation.value.payload || body) && !json) {
        return refuse(415, new UnsupportedMediaType({ message: "send the request body as JSON, with Content-Type: application/json" }))
      }
      const limited = HttpIncomingMessage.withMaxBodySize(app, Option.some(maxBytes))
      if (!body) return yield* limited
      // The text is cached on the request: the payload decode below reads it again for free. Text
      // that is not JSON, or no body at all, is the decode's 400 (with `issues`, see RequestMiddleware).
      const text = yield* Effect.option(HttpIncomingMessage.withMaxBodySize(request.text, Option.some(maxBytes)))
      if (Option.isSome(text) && nestsDeeperThan(text.value, MAX_JSON_DEPTH)) {
        return refuse(400, bodyIssue(`is nested deeper than ${MAX_JSON_DEPTH} levels`))
      }
      return yield* limited
    })
