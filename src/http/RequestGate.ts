/**
 * The one `request` listener of Flowboard's HTTP server, installed when the server starts
 * listening, so that no request a connection delivers is ever left without an answer:
 *
 * - starting (the port is open, the application is not built yet): `/health/live` answers `200`
 *   (the process runs), everything else `503` in the error shape, with `Retry-After`;
 * - serving: the application's handler, with the responses in flight tracked;
 * - draining (shutdown): new requests, also on open keep-alive connections, get `503`; responses
 *   in flight get `Connection: close`; idle connections are closed as soon as they are idle.
 *
 * Malformed requests Node cannot parse (`clientError`) get the error shape too, instead of
 * Node's bodiless `400`/`431`. Plain Node, no Effect: it runs in Node's callbacks.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http"
import { uuidv7 } from "../domain/Ids.js"
import { correlationIdFor, RETRY_AFTER_SECONDS } from "./RequestMiddleware.js"

export type Handler = (request: IncomingMessage, response: ServerResponse) => void

/** Why the gate answered a request itself: the label of `http_server_refused_total`. */
export type Refusal = "starting" | "draining" | "header_overflow" | "malformed" | "timeout"

export interface RequestGate {
  readonly onRequest: Handler
  readonly onClientError: (error: Error, socket: SocketLike) => void
  /** Hands requests to the application from now on. */
  readonly open: (handler: Handler) => void
  /** Refuses new requests and winds down keep-alive; returns the number of requests in flight. */
  readonly drain: () => number
  /** Calls back once no request is in flight (at once if none is); returns a cancel. */
  readonly whenIdle: (callback: () => void) => () => void
  readonly inFlight: () => number
}

/** The part of a connection `clientError` needs (Node passes a `stream.Duplex`). */
export interface SocketLike {
  readonly writable: boolean
  end(data: string): unknown
  destroy(): unknown
}

const single = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : undefined
}

const pathOf = (url: string | undefined) => (url ?? "/").split("?", 1)[0]

const json = (body: object) => {
  const text = JSON.stringify(body)
  return { text, length: Buffer.byteLength(text) }
}

/**
 * The error shape of the API, written by hand: there is no application yet (or no more) to run
 * the error-shaping middleware.
 */
const unavailable = (request: IncomingMessage, response: ServerResponse, message: string) => {
  const correlationId = correlationIdFor(single(request.headers, "x-request-id"))
  const body = json({ _tag: "ServiceUnavailable", message, status: 503, correlationId })
  // Node then sends `Connection: close` and closes the connection once the answer is written.
  response.shouldKeepAlive = false
  response.writeHead(503, {
    "content-type": "application/json",
    "content-length": body.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "retry-after": String(RETRY_AFTER_SECONDS),
    "x-request-id": correlationId
  })
  response.end(body.text)
}

const alive = (request: IncomingMessage, response: ServerResponse) => {
  const body = json({ status: "ok" })
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": body.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-request-id": correlationIdFor(single(request.headers, "x-request-id"))
  })
  response.end(body.text)
}

const clientErrorCode = (error: Error): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

/** Node's parse errors as the API's statuses; an over-long URL counts toward the header limit. */
const classify = (code: string | undefined) => {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, tag: "RequestHeaderFieldsTooLarge", message: "the URL or the headers are too large", refusal: "header_overflow" } as const
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, tag: "PayloadTooLarge", message: "chunk extensions too large", refusal: "malformed" } as const
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, tag: "RequestTimeout", message: "the request was not received in time", refusal: "timeout" } as const
    // Every 400 of the API is a ValidationError with issues; this one is about the request as a whole.
    default:
      return { status: 400, tag: "ValidationError", message: "malformed HTTP request", refusal: "malformed" } as const
  }
}

export const makeRequestGate = (server: Server, onRefusal: (refusal: Refusal) => void): RequestGate => {
  let phase: "starting" | "serving" | "draining" = "starting"
  let handler: Handler | undefined
  const inFlight = new Set<ServerResponse>()
  // The response a connection is writing: a parse error on it must not write a second one.
  const responding = new WeakMap<object, ServerResponse>()
  let waiters: Array<() => void> = []

  const settle = () => {
    if (inFlight.size > 0) return
    const ready = waiters
    waiters = []
    for (const callback of ready) callback()
  }

  const track = (request: IncomingMessage, response: ServerResponse) => {
    inFlight.add(response)
    responding.set(request.socket, response)
    response.once("close", () => {
      inFlight.delete(response)
      if (responding.get(request.socket) === response) responding.delete(request.socket)
      if (phase === "draining") {
        // A response that began before the drain kept its connection: close it now it is idle.
        server.closeIdleConnections()
        settle()
      }
    })
  }

  const onRequest: Handler = (request, response) => {
    if (phase === "serving" && handler !== undefined) {
      track(request, response)
      return handler(request, response)
    }
    if (phase === "starting" && pathOf(request.url) === "/health/live") return alive(request, response)
    onRefusal(phase === "starting" ? "starting" : "draining")
    unavailable(request, response, phase === "starting" ? "starting up, retry shortly" : "shutting down, retry on another instance")
  }

  const onClientError = (error: Error, socket: SocketLike) => {
    const code = clientErrorCode(error)
    if (code === "ECONNRESET" || !socket.writable || responding.has(socket)) {
      socket.destroy()
      return
    }
    const { message, refusal, status, tag } = classify(code)
    onRefusal(refusal)
    const correlationId = uuidv7()
    const body = json({ _tag: tag, message, status, correlationId, ...(status === 400 ? { issues: [{ path: [], message }] } : {}) })
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Request-Id: ${correlationId}\r\nX-Content-Type-Options: nosniff\r\n` +
        `Connection: close\r\n\r\n${body.text}`
    )
  }

  return {
    onRequest,
    onClientError,
    open: (serve) => {
      handler = serve
      if (phase === "starting") phase = "serving"
    },
    drain: () => {
      phase = "draining"
      for (const response of inFlight) {
        if (!response.headersSent) response.shouldKeepAlive = false
      }
      server.closeIdleConnections()
      return inFlight.size
    },
    whenIdle: (callback) => {
      waiters.push(callback)
      settle()
      return () => {
        waiters = waiters.filter((waiter) => waiter !== callback)
      }
    },
    inFlight: () => inFlight.size
  }
}
