/**
 * The server's gate over a real socket, in process: what a request gets before the application
 * is served, while it is served, while the server drains, and when Node cannot parse it. The
 * same behaviour with the real process (start-up, outages, SIGTERM) is in test/chaos/Lifecycle.
 */
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Logger, LogLevel, Scope } from "effect"
import { Agent } from "node:http"
import * as NodeServer from "../../src/http/NodeServer.js"
import { type Outcome, parseRaw, probe, raw } from "../support/HttpProbe.js"

const ErrorShape = { _tag: expect.any(String), message: expect.any(String), status: expect.any(Number), correlationId: expect.any(String) }

const answered = (outcome: Outcome) => {
  if (outcome._tag !== "Answered") throw new Error(`expected an answer, got ${JSON.stringify(outcome)}`)
  const json: unknown = outcome.headers["content-type"] === "application/json" ? JSON.parse(outcome.body) : undefined
  return { ...outcome, json }
}

/** A listening server (gate closed) on a free port, and the port. */
const listening = (drainTimeout: Duration.DurationInput = "5 seconds") =>
  Effect.map(NodeServer.make({ port: 0, host: "127.0.0.1" }, drainTimeout), (server) => ({
    server,
    port: server.address._tag === "TcpAddress" ? server.address.port : 0
  }))

/** `/fast` answers at once; `/slow` when `release` completes. */
const appWith = (release: Deferred.Deferred<void>) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/fast", HttpServerResponse.text("fast")),
    HttpRouter.get("/slow", Effect.as(Deferred.await(release), HttpServerResponse.text("slow")))
  )

const quiet = Logger.withMinimumLogLevel(LogLevel.None)

/**
 * A client that asks to keep its connections (`agent: false` would send `Connection: close`
 * itself), so that a `Connection: close` in an answer is the server's decision.
 */
const keepAliveAgent = Effect.acquireRelease(
  Effect.sync(() => new Agent({ keepAlive: true })),
  (agent) => Effect.sync(() => agent.destroy())
)

describe("the HTTP server's gate", () => {
  it.scopedLive("before the application is served: 503 in the error shape at once, except /health/live", () =>
    Effect.gen(function* () {
      const { port } = yield* listening()
      const agent = yield* keepAliveAgent
      const early = answered(yield* probe({ port, path: "/api/v1/projects", headers: { "x-request-id": "early-request-1" }, agent, deadlineMs: 2_000 }))
      expect(early.status).toBe(503)
      expect(early.json).toEqual({ _tag: "ServiceUnavailable", message: "starting up, retry shortly", status: 503, correlationId: "early-request-1" })
      expect(early.headers).toMatchObject({ "x-request-id": "early-request-1", "retry-after": "2", connection: "close", "content-type": "application/json" })
      // A malformed id is replaced, as the application's middleware does.
      const replaced = answered(yield* probe({ port, path: "/", headers: { "x-request-id": "bad id" } }))
      expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
      expect(replaced.json).toMatchObject({ ...ErrorShape, correlationId: replaced.headers["x-request-id"] })

      const live = answered(yield* probe({ port, path: "/health/live?probe=1" }))
      expect([live.status, live.json]).toEqual([200, { status: "ok" }])
    }))

  it.scopedLive("hands requests to the application once it is served, on connections opened before", () =>
    Effect.gen(function* () {
      const { server, port } = yield* listening()
      const agent = yield* keepAliveAgent
      expect(answered(yield* probe({ port, path: "/health/live", agent })).status).toBe(200)
      yield* server.serve(appWith(yield* Deferred.make<void>()))
      // The same kept-alive connection, now served by the application.
      const served = answered(yield* probe({ port, path: "/fast", agent }))
      expect([served.status, served.body, served.headers.connection]).toEqual([200, "fast", "keep-alive"])
    }))

  it.scopedLive("draining: in-flight requests finish with Connection: close, new ones get 503, idle connections close", () =>
    Effect.gen(function* () {
      const { server, port } = yield* listening("5 seconds")
      const release = yield* Deferred.make<void>()
      const serving = yield* Scope.make()
      yield* server.serve(appWith(release)).pipe(Scope.extend(serving))

      // An idle kept-alive connection, and a request in flight.
      const idle = yield* Effect.fork(raw(port, "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n", 3_000))
      yield* Effect.sleep("100 millis")
      const agent = yield* keepAliveAgent
      const slow = yield* Effect.fork(probe({ port, path: "/slow", agent, deadlineMs: 3_000 }))
      yield* Effect.sleep("100 millis")

      const draining = yield* Effect.fork(Scope.close(serving, Exit.void).pipe(quiet))
      yield* Effect.sleep("100 millis")
      // The idle connection was closed by the server after its one answer (not by our deadline).
      const idleReply = yield* Fiber.join(idle)
      expect(idleReply.closed).toBe(true)
      expect(parseRaw(idleReply.text).status).toBe(200)

      // A request arriving now, on a connection of its own, is refused cleanly.
      const refused = answered(yield* probe({ port, path: "/fast", agent, deadlineMs: 2_000 }))
      expect(refused.status).toBe(503)
      expect(refused.headers).toMatchObject({ connection: "close", "retry-after": "2" })
      expect(refused.json).toMatchObject({ ...ErrorShape, _tag: "ServiceUnavailable", message: "shutting down, retry on another instance" })

      // The drain waits for the request in flight; it is answered, and told the connection ends.
      expect(yield* Fiber.poll(draining)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* Deferred.succeed(release, undefined)
      const finished = answered(yield* Fiber.join(slow))
      expect([finished.status, finished.body, finished.headers.connection]).toEqual([200, "slow", "close"])
      yield* Fiber.join(draining).pipe(Effect.timeoutFail({ duration: "1 second", onTimeout: () => new Error("the drain did not end with its last request") }))
    }))

  it.scopedLive("draining is bounded: a request that never finishes is cut off when the drain timeout elapses", () =>
    Effect.gen(function* () {
      const { server, port } = yield* listening("300 millis")
      const serving = yield* Scope.make()
      yield* server.serve(appWith(yield* Deferred.make<void>())).pipe(Scope.extend(serving))
      const stuck = yield* Effect.fork(probe({ port, path: "/slow", deadlineMs: 3_000 }))
      // A client that connects and never sends anything.
      const silent = yield* Effect.fork(raw(port, "", 3_000))
      yield* Effect.sleep("100 millis")
      const started = Date.now()
      yield* Scope.close(serving, Exit.void).pipe(quiet)
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(250)
      expect(took).toBeLessThan(1_000)
      expect(yield* Fiber.join(stuck)).toMatchObject({ _tag: "Closed" })
      expect(yield* Fiber.join(silent)).toEqual({ text: "", closed: true })
    }))

  it.scopedLive("answers what Node cannot parse in the error shape: 431 for an over-long URL or header, 400 for garbage", () =>
    Effect.gen(function* () {
      const { port } = yield* listening()
      const replies = yield* Effect.all([
        raw(port, `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: t\r\n\r\n`),
        raw(port, `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`),
        raw(port, "NOT HTTP AT ALL\r\n\r\n")
      ])
      const [url, header, garbage] = replies.map((reply) => {
        const parsed = parseRaw(reply.text)
        const body = JSON.parse(parsed.body) as Record<string, unknown>
        expect(body).toMatchObject({ ...ErrorShape, status: parsed.status, correlationId: parsed.headers["x-request-id"] })
        expect(parsed.headers.connection).toBe("close")
        expect(reply.closed).toBe(true)
        return [parsed.status, body._tag]
      })
      expect(url).toEqual([431, "RequestHeaderFieldsTooLarge"])
      expect(header).toEqual([431, "RequestHeaderFieldsTooLarge"])
      expect(garbage).toEqual([400, "ValidationError"])
    }))
})
