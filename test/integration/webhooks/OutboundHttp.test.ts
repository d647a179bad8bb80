/**
 * The outbound client of webhooks against real servers on 127.0.0.1: an allowlisted receiver is
 * reached and its answer read up to the limit; loopback, private and metadata addresses are
 * refused whether written as literals or reached through DNS; redirects are not followed; a
 * receiver that never answers is cut off at the bound, and the connection really is closed.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Data, Deferred, Duration, Effect, Either, Exit, Option } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { isIP, type LookupFunction } from "node:net"
import { type AllowList, emptyAllowList, parseAllowList } from "../../../src/webhooks/AddressGuard.js"
import { exchange, makeOutboundClient, refusedBy } from "../../../src/webhooks/OutboundHttp.js"

/** A receiver on loopback for the test's scope, counting requests and connections. */
const receiver = (handle: (request: IncomingMessage, response: ServerResponse) => void) =>
  Effect.gen(function* () {
    const closed = yield* Deferred.make<void>()
    let hits = 0
    let connections = 0
    const server = createServer((request, response) => {
      hits += 1
      request.socket.once("close", () => Deferred.unsafeDone(closed, Exit.void))
      handle(request, response)
    })
    server.on("connection", () => (connections += 1))
    const port = yield* Effect.acquireRelease(
      Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
        })
      }),
      () => Effect.async<void>((done) => {
        server.closeAllConnections()
        server.close(() => done(Effect.void))
      })
    )
    return { port, hits: () => hits, connections: () => connections, socketClosed: Deferred.await(closed) }
  })

/** A DNS that knows a few names, answering in either of the forms Node asks for. */
const fakeDns = (table: Readonly<Record<string, ReadonlyArray<string>>>): LookupFunction => (hostname, options, callback) => {
  const entries = (table[hostname] ?? []).map((address) => ({ address, family: isIP(address) }))
  const first = entries[0]
  setImmediate(() => {
    if (first === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 0)
    else if (options.all === true) callback(null, entries)
    else callback(null, first.address, first.family)
  })
}

const loopback = Either.getOrThrow(parseAllowList("127.0.0.1/32"))

const send = (
  allow: AllowList,
  url: string,
  limits: { readonly timeout?: Duration.DurationInput; readonly maxBodyBytes?: number; readonly lookup?: LookupFunction } = {}
) =>
  Effect.gen(function* () {
    const client = yield* makeOutboundClient({ allow, connectTimeout: "1 second", ...(limits.lookup ? { lookup: limits.lookup } : {}) })
    const request = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText("{}", "application/json"))
    return yield* Effect.either(exchange(client, request, { timeout: limits.timeout ?? "2 seconds", maxBodyBytes: limits.maxBodyBytes ?? 4096 }))
  })

describe("the outbound client of webhooks", () => {
  it.scopedLive("reaches an allowlisted receiver, reads its answer, and keeps the connection for the next", () =>
    Effect.gen(function* () {
      const target = yield* receiver((_, response) => response.writeHead(200, { "content-type": "text/plain" }).end("accepted ✓"))
      const client = yield* makeOutboundClient({ allow: loopback, connectTimeout: "1 second" })
      const send = () => exchange(client, HttpClientRequest.post(`http://127.0.0.1:${target.port}/hook`), { timeout: "2 seconds", maxBodyBytes: 4096 })
      const answer = yield* send()
      expect([answer.status, answer.body, answer.truncated, answer.headers["content-type"]]).toEqual([200, "accepted ✓", false, "text/plain"])
      expect(answer.durationMs).toBeGreaterThanOrEqual(0)
      yield* send()
      expect([target.hits(), target.connections()]).toEqual([2, 1])
    }))

  it.scopedLive("stops reading an answer at the limit", () =>
    Effect.gen(function* () {
      const big = yield* receiver((_, response) => response.writeHead(200).end("x".repeat(200_000)))
      const answer = Either.getOrThrow(yield* send(loopback, `http://127.0.0.1:${big.port}/`, { maxBodyBytes: 1000 }))
      expect([answer.status, answer.truncated, answer.body.length <= 1000]).toEqual([200, true, true])
    }))

  it.scopedLive("refuses loopback, private and metadata addresses, as literals or behind names, before connecting", () =>
    Effect.gen(function* () {
      const target = yield* receiver((_, response) => response.writeHead(204).end())
      const dns = fakeDns({ "meta.test": ["169.254.169.254"], "intranet.test": ["10.0.0.1"], "mixed.test": ["93.184.216.34", "192.168.0.10"] })
      const cases: ReadonlyArray<readonly [string, string]> = [
        [`http://127.0.0.1:${target.port}/`, "127.0.0.1 is a loopback address"],
        [`https://127.0.0.1:${target.port}/`, "127.0.0.1 is a loopback address"],
        [`http://[::1]:${target.port}/`, "::1 is a loopback address"],
        // URL parsing writes it ::ffff:7f00:1.
        [`http://[::ffff:127.0.0.1]:${target.port}/`, "::ffff:7f00:1 is a loopback address"],
        // Resolved through /etc/hosts, to 127.0.0.1 or ::1.
        [`http://localhost:${target.port}/`, "is a loopback address"],
        ["http://meta.test/latest/meta-data", "169.254.169.254 is a cloud metadata address"],
        ["http://intranet.test/", "10.0.0.1 is a private address"],
        ["https://intranet.test/", "10.0.0.1 is a private address"],
        // One bad address refuses the name: the connection could pick any of them.
        ["http://mixed.test/", "192.168.0.10 is a private address"]
      ]
      for (const [url, reason] of cases) {
        const failure = Either.flip(yield* send(emptyAllowList, url, url.includes(".test") ? { lookup: dns } : {}))
        const seen = Either.map(failure, (f) => [url, f.reason, f.message.includes(reason), Option.isSome(refusedBy(f))])
        expect(seen).toEqual(Either.right([url, "refused", true, true]))
      }
      expect(target.hits()).toBe(0)
    }))

  it.scopedLive("answers a redirect with its own status and does not follow it", () =>
    Effect.gen(function* () {
      const elsewhere = yield* receiver((_, response) => response.writeHead(204).end())
      const redirecting = yield* receiver((_, response) => response.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/` }).end())
      const answered = yield* send(loopback, `http://127.0.0.1:${redirecting.port}/`)
      expect(Either.map(answered, (a) => [a.status, a.headers["location"]])).toEqual(Either.right([302, `http://127.0.0.1:${elsewhere.port}/`]))
      expect([redirecting.hits(), elsewhere.hits()]).toEqual([1, 0])
    }))

  it.scopedLive("gives up on a receiver that never answers at the bound, and closes its connection", () =>
    Effect.gen(function* () {
      const hanging = yield* receiver(() => {})
      const started = yield* Clock.currentTimeMillis
      const failure = Either.flip(yield* send(loopback, `http://127.0.0.1:${hanging.port}/`, { timeout: "150 millis" }))
      const elapsed = (yield* Clock.currentTimeMillis) - started
      expect(Either.map(failure, (f) => [f.reason, f.message])).toEqual(Either.right(["timeout", "timed out: no complete answer within 150ms"]))
      expect(elapsed).toBeLessThan(1000)
      // The interruption aborted the request: the receiver sees its socket closed.
      yield* Effect.timeoutFail(hanging.socketClosed, { duration: "1 second", onTimeout: () => new Error("the receiver's socket stayed open") })
    }))

  // A connect that hangs needs a full listen backlog (Node accepts every connection itself) or an
  // unroutable address (which this machine's network may answer or refuse at once). A name whose
  // lookup never answers leaves the socket unconnected just as well: the bound covers both.
  it.scopedLive("destroys a socket that has not connected within the connect timeout", () =>
    Effect.gen(function* () {
      const client = yield* makeOutboundClient({ allow: emptyAllowList, connectTimeout: "100 millis", lookup: () => {} })
      const failure = yield* Effect.flip(exchange(client, HttpClientRequest.post("http://slow.test/"), { timeout: "2 seconds", maxBodyBytes: 100 }))
      expect([failure.reason, failure.message]).toEqual(["connect-timeout", "no connection to slow.test within 100ms"])
    }))

  it.scopedLive("lets errors of a wrapping client (an open circuit) through unchanged", () =>
    Effect.gen(function* () {
      class CircuitOpen extends Data.TaggedError("CircuitOpen")<{ readonly endpoint: string }> {}
      const client = yield* makeOutboundClient({ allow: loopback, connectTimeout: "1 second" })
      const open = HttpClient.transform(client, (_, request) => Effect.fail(new CircuitOpen({ endpoint: request.url })))
      const failure = yield* Effect.flip(exchange(open, HttpClientRequest.post("http://hooks.test/"), { timeout: "1 second", maxBodyBytes: 100 }))
      expect(failure).toEqual(new CircuitOpen({ endpoint: "http://hooks.test/" }))
    }))
})
