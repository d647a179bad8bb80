import { Headers, HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Duration, Effect, Option, Stream } from "effect"

/**
 * A request exactly as a client puts it on the wire: the target as sent (already
 * percent-encoded, so malformed escapes reach the server as they are), every header, and the
 * body as text or as bytes (for bytes that are not UTF-8). No header is added: a body goes
 * without `Content-Type` unless one is given.
 */
export interface RawRequest {
  readonly method: HttpMethod
  /** Path and query. */
  readonly target: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array | undefined
}

export interface RawReply {
  readonly status: number
  readonly headers: Headers.Headers
  readonly contentType: string
  /** Empty for an event stream, which is not read: its status and headers are the reply. */
  readonly text: string
  readonly streaming: boolean
}

const encoder = new TextEncoder()

export const sendRaw = (request: RawRequest) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    let outgoing = HttpClientRequest.setHeaders(HttpClientRequest.make(request.method)(request.target), request.headers)
    if (request.body !== undefined) {
      const bytes = typeof request.body === "string" ? encoder.encode(request.body) : request.body
      // `raw` carries no content type, so the request has only the headers given above.
      outgoing = HttpClientRequest.setBody(outgoing, HttpBody.raw(bytes))
    }
    const response = yield* HttpClient.withScope(http).execute(outgoing)
    const contentType = Option.getOrElse(Headers.get(response.headers, "content-type"), () => "")
    const streaming = contentType.startsWith("text/event-stream")
    // A stream is read for a moment and let go: interrupting the read cancels it, so the
    // server's side of it ends now rather than with the suite.
    if (streaming) yield* Effect.timeoutOption(Stream.runDrain(response.stream), Duration.millis(5))
    const text = streaming ? "" : yield* response.text
    return { status: response.status, headers: response.headers, contentType, text, streaming } satisfies RawReply
  }).pipe(Effect.scoped, Effect.orDie)

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`)

/** The request as a developer would retype it: method, target, headers, body excerpt. */
export const describeRequest = (request: RawRequest): string => {
  const headers = Object.entries(request.headers).map(([k, v]) => `  ${k}: ${clip(v, 120)}`)
  const body =
    request.body === undefined
      ? []
      : typeof request.body === "string"
        ? [`  body: ${clip(JSON.stringify(request.body), 600)}`]
        : [`  body (bytes, hex): ${clip(Buffer.from(request.body).toString("hex"), 600)}`]
  return [`${request.method} ${clip(request.target, 400)}`, ...headers, ...body].join("\n")
}

export const describeReply = (reply: RawReply): string =>
  [`${reply.status} ${reply.contentType}`, ...(reply.text === "" ? [] : [`  body: ${clip(reply.text, 600)}`])].join("\n")
