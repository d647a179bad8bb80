import { Headers } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Exit, Layer, Metric, Option, Schema, Scope, TestClock } from "effect"
import { TestLive } from "../../layers/Test.js"
import { CreateUser } from "../../src/domain/Requests.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { UserService } from "../../src/services/UserService.js"
import { securityEvents, type SecurityEventKind } from "../../src/security/SecurityEvents.js"
import { CaptureLogs, LogLines } from "../support/LogLines.js"
import { bootstrapAdmin, HttpTestServer, SocketTestServer } from "../support/TestApi.js"
import { expectError, get, type Reply, send } from "./Harness.js"
import { openEvents } from "./LiveEventsClient.js"

/** The application on the in-memory layers with the given settings; on a real socket when `socket`. */
const appWith = (settings: Record<string, string>, socket = false) =>
  HttpAppLive.pipe(
    Layer.provideMerge(TestLive),
    Layer.provideMerge(socket ? SocketTestServer : HttpTestServer),
    Layer.provideMerge(CaptureLogs),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))))
  )

const header = (reply: Reply, name: string) => Option.getOrUndefined(Headers.get(reply.headers, name))

/**
 * One application per group of tests whose settings agree (an application costs a few hundred
 * milliseconds to build): each test calls with a key of its own, so its budgets are its own.
 */
class Admin extends Context.Tag("e2e/RateLimitAdmin")<Admin, string>() {}
const groupWith = (settings: Record<string, string>, socket = false) =>
  Layer.effect(Admin, Effect.map(Effect.orDie(bootstrapAdmin), ({ token }) => token)).pipe(Layer.provideMerge(appWith(settings, socket)))
/** A fresh admin user's key: budgets no other test has spent. */
const freshKey = Effect.gen(function* () {
  const users = yield* UserService
  const input = Schema.decodeUnknownSync(CreateUser)({ email: `rl-${crypto.randomUUID()}@test.local`, name: "limited", role: "admin" })
  return (yield* Effect.orDie(users.createUserWithKey(input))).token
})
/** A key of the right form that no one holds: its prefix is random, so it names no real key. */
const wrongKey = () => `fb_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}_${"x".repeat(43)}`
const eventCount = (kind: SecurityEventKind) => Effect.map(Metric.value(Metric.tagged(securityEvents, "kind", kind)), (state) => state.count)

layer(groupWith({ RATE_LIMIT_READ: "5", RATE_LIMIT_WRITE: "3", RATE_LIMIT_EXPENSIVE: "1", RATE_LIMIT_ANONYMOUS: "4", AUTH_BLOCK_FAILURES: "2" }))("rate limits", (it) => {
  it.effect("reads beyond a key's budget get 429 TooManyRequests with Retry-After; every answer says where the budget stands; time refills it", () =>
    Effect.gen(function* () {
      const token = yield* freshKey
      const replies: Array<Reply> = []
      for (let i = 0; i < 6; i++) replies.push(yield* get("/api/v1/me", token))
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429])
      expect(replies.slice(0, 5).map((r) => header(r, "ratelimit"))).toEqual([4, 3, 2, 1, 0].map((r) => expect.stringMatching(new RegExp(`^"read";r=${r};t=\\d+$`))))
      expect(header(replies[0]!, "ratelimit-policy")).toBe(`"read";q=5;w=60`)
      const refused = expectError(replies[5]!, 429, "TooManyRequests")
      expect(refused.message).toMatch(/rate limit "read" exceeded: 5 requests per 1m/)
      // One request's share of the minute.
      expect(header(replies[5]!, "retry-after")).toBe("12")
      expect(replies[5]!.body).toMatchObject({ retryAfterSeconds: 12, correlationId: expect.any(String) })
      expect(header(replies[5]!, "ratelimit")).toMatch(/^"read";r=0;t=60$/)
      yield* TestClock.adjust(Duration.seconds(11))
      expect((yield* get("/api/v1/me", token)).status).toBe(429)
      yield* TestClock.adjust(Duration.seconds(1))
      expect((yield* get("/api/v1/me", token)).status).toBe(200)
    }))

  it.effect("a refused write changes nothing, and reads keep their own budget", () =>
    Effect.gen(function* () {
      const token = yield* freshKey
      const create = (i: number) => send("POST", "/api/v1/projects", { token, body: { key: `RL${i}`, name: `limited ${i}` } })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((yield* create(i)).status)
      expect(statuses).toEqual([201, 201, 201, 429])
      const listed = yield* get("/api/v1/projects", token)
      expect(listed.status).toBe(200)
      expect((listed.body as { readonly items: ReadonlyArray<unknown> }).items).toHaveLength(3)
    }))

  it.effect("expensive operations (export, import, bulk, replay) spend a budget of their own as well as a write", () =>
    Effect.gen(function* () {
      const token = yield* freshKey
      const project = yield* send("POST", "/api/v1/projects", { token, body: { key: "EXP", name: "export me" } })
      const id = (project.body as { readonly id: string }).id
      const first = yield* send("POST", `/api/v1/projects/${id}/export`, { token })
      const second = yield* send("POST", `/api/v1/projects/${id}/export`, { token })
      expect(first.status).toBe(202)
      expect(header(first, "ratelimit-policy")).toBe(`"write";q=3;w=60, "expensive";q=1;w=60`)
      expect(expectError(second, 429, "TooManyRequests").message).toMatch(/"expensive"/)
      // An ordinary write is still within its budget.
      expect((yield* send("PATCH", `/api/v1/projects/${id}`, { token, body: { name: "renamed", version: 1 } })).status).toBe(200)
      // Reading the whole audit trail is a read that spends it too.
      const exporter = yield* freshKey
      const exported = yield* get("/api/v1/admin/audit/export", exporter)
      expect([exported.status, header(exported, "ratelimit-policy")]).toEqual([200, `"read";q=5;w=60, "expensive";q=1;w=60`])
      expect(expectError(yield* get("/api/v1/admin/audit/verify", exporter), 429, "TooManyRequests").message).toMatch(/"expensive"/)
    }))

  it.effect("without a key, requests spend their address's anonymous budget, and a missing key is not counted as a guess", () =>
    Effect.gen(function* () {
      const statuses = []
      for (let i = 0; i < 5; i++) statuses.push((yield* get("/api/v1/me")).status)
      expect(statuses).toEqual([401, 401, 401, 401, 429])
      expect(header(yield* get("/health/live"), "ratelimit")).toBeUndefined()
      // No block followed: once the budget refills, the address is served again.
      yield* TestClock.adjust(Duration.seconds(15))
      expect((yield* get("/api/v1/me")).status).toBe(401)
    }))
})

// Blocks the address every in-memory request comes from: an application of its own.
layer(groupWith({ AUTH_BLOCK_FAILURES: "3" }))("blocks after failed authentication", (it) => {
  it.effect("the failure past AUTH_BLOCK_FAILURES blocks the address: logged once, counted, and even a right key is refused until it ends", () =>
    Effect.gen(function* () {
      const token = yield* Admin
      const before = { failures: yield* eventCount("authentication_failure"), blocks: yield* eventCount("blocked"), refused: yield* eventCount("blocked_request") }
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((yield* get("/api/v1/me", wrongKey())).status)
      // Three failures are allowed; the fourth is answered, and blocks.
      expect(statuses).toEqual([401, 401, 401, 401])
      const blocked = yield* get("/api/v1/me", token)
      expect(expectError(blocked, 429, "TooManyRequests").message).toMatch(/this address is blocked/)
      expect(header(blocked, "retry-after")).toBe("60")
      for (let i = 0; i < 3; i++) yield* get("/api/v1/me", wrongKey())
      const lines = (yield* LogLines).filter((line) => line.includes(`"event":"blocked"`))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/address:unknown blocked for 60 s/)
      expect({
        failures: (yield* eventCount("authentication_failure")) - before.failures,
        blocks: (yield* eventCount("blocked")) - before.blocks,
        refused: (yield* eventCount("blocked_request")) - before.refused
      }).toEqual({ failures: 4, blocks: 1, refused: 4 })
      yield* TestClock.adjust(Duration.seconds(60))
      expect((yield* get("/api/v1/me", token)).status).toBe(200)
      // The next block within a day lasts twice as long.
      for (let i = 0; i < 4; i++) yield* get("/api/v1/me", wrongKey())
      expect(header(yield* get("/api/v1/me", token), "retry-after")).toBe("120")
    }))
})

layer(groupWith({ AUTH_BLOCK_FAILURES: "3", TRUST_PROXY: "loopback", RATE_LIMIT_ANONYMOUS: "3", LIVE_STREAMS_PER_KEY: "2" }, true))("behind a trusted proxy, on a socket", (it) => {
  it.effect("wrong secrets for one key from many addresses block that key's prefix, not the addresses or other keys", () =>
    Effect.gen(function* () {
      const token = yield* freshKey
      const prefix = token.split("_")[1]!
      const guess = `fb_${prefix}_${"y".repeat(43)}`
      const from = (i: number) => ({ "x-forwarded-for": `203.0.113.${i}` })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((yield* send("GET", "/api/v1/me", { token: guess, headers: from(i) })).status)
      expect(statuses).toEqual([401, 401, 401, 401])
      const owner = yield* send("GET", "/api/v1/me", { token, headers: from(50) })
      expect(expectError(owner, 429, "TooManyRequests").message).toMatch(/this key is blocked/)
      // The addresses the guesses came from are not blocked: a request without that key passes the limiter.
      expect((yield* send("GET", "/api/v1/me", { headers: from(1) })).status).toBe(401)
    }))

  it.effect("comes from X-Forwarded-For when the peer is a trusted proxy (TRUST_PROXY)", () =>
    Effect.gen(function* () {
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((yield* send("GET", "/api/v1/me", { headers: { "x-forwarded-for": `198.51.100.${i}` } })).status)
      expect(statuses).toEqual([401, 401, 401, 401])
    }))

  // On a socket: a stream's slot is given back when its connection closes, which only a socket has.
  it.scoped("are capped per key (429 with Retry-After), and a slot frees when a stream ends", () =>
    Effect.gen(function* () {
      const token = yield* freshKey
      const project = yield* send("POST", "/api/v1/projects", { token, body: { key: "LIVECAP", name: "streams" } })
      const id = (project.body as { readonly id: string }).id
      const first = yield* Scope.make()
      expect((yield* openEvents(id, { token }).pipe(Scope.extend(first))).status).toBe(200)
      expect((yield* openEvents(id, { token })).status).toBe(200)
      const third = yield* get(`/api/v1/projects/${id}/events`, token)
      expect(expectError(third, 429, "TooManyRequests").message).toMatch(/already has 2 live streams open/)
      expect(header(third, "retry-after")).toBe("10")
      // Another key is not held back by this one's streams.
      const me = (yield* get("/api/v1/me", token)).body as { readonly id: string }
      const other = yield* send("POST", `/api/v1/users/${me.id}/keys`, { token, body: { name: "second", scopes: ["read"] } })
      expect((yield* get(`/api/v1/projects/${id}/events`, (other.body as { readonly token: string }).token)).status).toBe(200)
      // Hanging up one stream gives its slot back.
      yield* Scope.close(first, Exit.void)
      const again = yield* get(`/api/v1/projects/${id}/events`, token).pipe(
        Effect.repeat({ until: (reply) => reply.status === 200, times: 20 })
      )
      expect(again.status).toBe(200)
    }))
})

layer(groupWith({ RATE_LIMIT_ANONYMOUS: "3" }, true))("the client address, on a socket", (it) => {
  it.effect("comes from the socket by default: a spoofed X-Forwarded-For does not buy a new budget", () =>
    Effect.gen(function* () {
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((yield* send("GET", "/api/v1/me", { headers: { "x-forwarded-for": `198.51.100.${i}` } })).status)
      expect(statuses).toEqual([401, 401, 401, 429])
    }))
})
