/**
 * Requests over real sockets that report what a client saw, for the tests of start-up, outages
 * and shutdown: an answer, a refused connection (nothing was accepted), a connection closed
 * without an answer, or silence until a deadline. "Every accepted request is answered" is then a
 * count of outcomes, not a hope.
 */
import { Data, Effect } from "effect"
import { type Agent, type IncomingHttpHeaders, request as httpRequest } from "node:http"
import { connect } from "node:net"

export type Outcome = Data.TaggedEnum<{
  /** A response came, whole. */
  Answered: { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: string; readonly ms: number }
  /** The connection was refused: no request was ever accepted. */
  Refused: { readonly ms: number }
  /** The connection closed (or was reset) before a response: the server hung up on the request. */
  Closed: { readonly code: string; readonly ms: number }
  /** Nothing within the deadline: the request was accepted and left unanswered. */
  Silent: { readonly ms: number }
}>
export const Outcome = Data.taggedEnum<Outcome>()

export interface ProbeOptions {
  readonly port: number
  readonly path: string
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: string
  /** `false`: a connection of its own, closed after the answer. */
  readonly agent?: Agent | false
  /** How long an accepted request may wait for its answer before it counts as `Silent`. */
  readonly deadlineMs?: number
}

const codeOf = (error: Error) => ("code" in error && typeof error.code === "string" ? error.code : error.message)

/** One request; never fails: what happened is the `Outcome`. */
export const probe = (options: ProbeOptions): Effect.Effect<Outcome> =>
  Effect.async<Outcome>((resume) => {
    const started = Date.now()
    const elapsed = () => Date.now() - started
    let done = false
    const finish = (outcome: Outcome) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.succeed(outcome))
    }
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port: options.port,
        path: options.path,
        method: options.method ?? "GET",
        headers: { ...options.headers, ...(options.body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(options.body)) }) },
        agent: options.agent ?? false
      },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () =>
          finish(Outcome.Answered({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), ms: elapsed() }))
        )
        response.on("error", (error) => finish(Outcome.Closed({ code: codeOf(error), ms: elapsed() })))
      }
    )
    const timer = setTimeout(() => {
      finish(Outcome.Silent({ ms: elapsed() }))
      request.destroy()
    }, options.deadlineMs ?? 5_000)
    request.on("error", (error) => {
      const code = codeOf(error)
      finish(code === "ECONNREFUSED" ? Outcome.Refused({ ms: elapsed() }) : Outcome.Closed({ code, ms: elapsed() }))
    })
    request.end(options.body)
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      request.destroy()
    })
  })

/** What came back on a raw connection: the bytes the server wrote before it closed, or before `deadlineMs`. */
export interface RawReply {
  readonly text: string
  /** The server closed the connection (rather than the deadline passing). */
  readonly closed: boolean
}

/** Writes `data` on a connection of its own and reads until the server closes it, or the deadline. */
export const raw = (port: number, data: string, deadlineMs = 5_000): Effect.Effect<RawReply> =>
  Effect.async<RawReply>((resume) => {
    const chunks: Array<Buffer> = []
    const socket = connect(port, "127.0.0.1", () => socket.write(data))
    const finish = (closed: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed({ text: Buffer.concat(chunks).toString("utf8"), closed }))
    }
    const timer = setTimeout(() => finish(false), deadlineMs)
    socket.on("data", (chunk) => chunks.push(chunk))
    socket.on("error", () => undefined)
    socket.on("close", () => finish(true))
    return Effect.sync(() => {
      clearTimeout(timer)
      socket.destroy()
    })
  })

/** The status, headers and body of the first response in a raw reply. */
export const parseRaw = (text: string) => {
  const [head = "", body = ""] = text.split("\r\n\r\n", 2)
  const [statusLine = "", ...lines] = head.split("\r\n")
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(":")
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body }
}
