import { HttpApp, HttpBody, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { uuidv7 } from "../domain/Ids.js"
import { withRequest } from "../observability/RequestContext.js"
import type { HeadersSettings } from "../security/SecurityConfig.js"
import { observeRequest } from "./AccessLog.js"
import { pathnameOf } from "./RouteTemplate.js"
import { withCors, withSecurityHeaders } from "./SecurityHeaders.js"

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/

/** The request's correlation id: a well-formed incoming `X-Request-Id`, or a new one. */
export const correlationIdFor = (incoming: string | undefined): string =>
  incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : uuidv7()

/** Seconds a client should wait before retrying a `503`: a dependency's hiccup, not an outage plan. */
export const RETRY_AFTER_SECONDS = 2
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/

const reasons: Record<number, readonly [tag: string, message: string]> = {
  400: ["ValidationError", "bad request"],
  401: ["Unauthorized", "authentication required"],
  404: ["NotFound", "no such route"],
  405: ["MethodNotAllowed", "method not allowed"],
  411: ["LengthRequired", "length required"],
  413: ["PayloadTooLarge", "request body too large"],
  415: ["UnsupportedMediaType", "unsupported media type"],
  429: ["TooManyRequests", "too many requests"],
  500: ["InternalError", "internal error"],
  503: ["ServiceUnavailable", "service unavailable"]
}

interface DecodeIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

// Schema messages quote the rejected value in full: a 60 kB field would come back three times over.
const MAX_ISSUES = 20
const MAX_MESSAGE = 300
const clip = (message: string) => (message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE)}…`)

/**
 * Brings every error body to the one shape of the API: `_tag`, `message`, `status`, `issues`
 * (validation) and `correlationId`. Schema decode failures (`HttpApiDecodeError`) become
 * `ValidationError` naming the first wrong field; empty bodies (unknown route, defects) get a
 * body of their own.
 */
const shapeError = (response: HttpServerResponse.HttpServerResponse, correlationId: string, pathname: () => string) => {
  if (response.status < 400) return response
  let body: Record<string, unknown> = {}
  if (response.body._tag === "Uint8Array" && response.body.contentType.startsWith("application/json")) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(response.body.body))
      if (isRecord(parsed)) body = parsed
    } catch {
      body = {}
    }
  }
  if (body._tag === "HttpApiDecodeError") {
    const all: ReadonlyArray<DecodeIssue> = Array.isArray(body.issues)
      ? body.issues.filter(isRecord).map((i) => ({
          path: Array.isArray(i.path) ? i.path.filter((p): p is string | number => typeof p === "string" || typeof p === "number") : [],
          message: typeof i.message === "string" ? clip(i.message) : "is invalid"
        }))
      : []
    // A field that may be absent or null fails as a union: its real complaint comes first, then
    // "Expected undefined" and "Expected null" for the other members. One issue per field.
    const issues = all.filter((issue, i) => all.findIndex((other) => JSON.stringify(other.path) === JSON.stringify(issue.path)) === i).slice(0, MAX_ISSUES)
    const first = issues[0]
    body = {
      _tag: "ValidationError",
      message: first === undefined ? "invalid request" : `${first.path.join(".") || "body"}: ${first.message}`,
      issues
    }
  }
  const [tag, message] = reasons[response.status] ?? (response.status >= 500 ? reasons[500]! : ["Error", "request failed"])
  const unanswered = body._tag === undefined
  // The platform answers a body it cannot read as JSON with an empty 400: a ValidationError like
  // every 400, with its issue. The router's own 404 names what was not found, as every NotFound.
  const filled =
    unanswered && response.status === 400
      ? { message: "body: is not valid JSON", issues: [{ path: [], message: "is not valid JSON" }] }
      : unanswered && response.status === 404
      ? { resource: "route", id: pathname() }
      : {}
  const shaped = HttpServerResponse.setBody(response, HttpBody.unsafeJson({ _tag: tag, message, ...filled, ...body, status: response.status, correlationId }))
  // A `429` raised as an error (a live-stream cap) says when to come back in its body: the header too.
  return response.status === 429 && response.headers["retry-after"] === undefined && typeof body.retryAfterSeconds === "number"
    ? HttpServerResponse.setHeader(shaped, "retry-after", String(body.retryAfterSeconds))
    : shaped
}

/**
 * Outermost middleware: the correlation id (a well-formed incoming `X-Request-Id` is kept,
 * otherwise one is made), trace context for the outbox, the error shape, and the request's
 * metrics, `Server-Timing` and access log line (`observeRequest`, after the error shape so it
 * sees the final response). The response is rewritten in a pre-response handler: by the time
 * a middleware sees a response it has already been written, on the success path and the error
 * path alike.
 */
export const requestMiddleware = (settings: HeadersSettings) => {
  const secure = withSecurityHeaders(settings)
  const cors = withCors(settings)
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const correlationId = correlationIdFor(request.headers["x-request-id"])
    const traceparent = request.headers["traceparent"]
    yield* HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.gen(function* () {
        if (response.status >= 500 && response.body._tag === "Empty") {
          yield* Effect.logError("request failed without a response body").pipe(Effect.annotateLogs("correlationId", correlationId))
        }
        const pathname = pathnameOf(request)
        const shaped = HttpServerResponse.setHeader(secure(pathname, shapeError(response, correlationId, () => clip(pathname))), "x-request-id", correlationId)
        // RFC 7235: a 401 names the scheme that would be accepted.
        if (response.status === 401) return HttpServerResponse.setHeader(shaped, "www-authenticate", 'Bearer realm="flowboard"')
        // RFC 9110 §10.2.3: a 503 says when to come back, unless its maker already did.
        if (response.status === 503 && response.headers["retry-after"] === undefined) {
          return HttpServerResponse.setHeader(shaped, "retry-after", String(RETRY_AFTER_SECONDS))
        }
        return shaped
      })
    )
    return yield* cors(app).pipe(
      observeRequest(correlationId, settings.serverTiming),
      withRequest({ correlationId, traceparent: traceparent !== undefined && TRACEPARENT.test(traceparent) ? traceparent : null, causationId: null })
    )
  })
}
