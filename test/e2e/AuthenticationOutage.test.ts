/**
 * Authentication while the keys cannot be read. A `401` tells a client its key is bad, and
 * clients drop such keys: a database outage must answer `503` (with `Retry-After`) or `500`,
 * never `401`, on every route that authenticates — the bearer routes, the live event stream
 * (its own middleware, key in the query) and the dashboard.
 */
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Ref } from "effect"
import { HandlersLive } from "../../layers/Handlers.js"
import { servicesWith } from "../../layers/Services.js"
import { RepositoryError } from "../../src/domain/Errors.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { Readiness } from "../../src/observability/Readiness.js"
import { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import { MemoryRepositoriesLive } from "../../src/repositories/memory/index.js"
import { bootstrapAdmin, HttpTestServer } from "../support/TestApi.js"
import { expectError, get, send } from "./Harness.js"

type Fault = "none" | "transient" | "permanent"

class Keys extends Context.Tag("e2e/Keys")<Keys, { readonly fault: Ref.Ref<Fault>; readonly token: string }>() {}

class FaultSwitch extends Context.Tag("e2e/FaultSwitch")<FaultSwitch, Ref.Ref<Fault>>() {}

/** The in-memory keys, failing key lookups as a database would while the switch says so. */
const FaultyKeys = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const keys = yield* ApiKeyRepository
    const fault = yield* FaultSwitch
    const faulty = <A>(read: Effect.Effect<A, RepositoryError>) =>
      Effect.flatMap(Ref.get(fault), (now) =>
        now === "none" ? read : Effect.fail(new RepositoryError({ message: "connect ECONNREFUSED", transient: now === "transient" }))
      )
    return {
      ...keys,
      findByPrefix: (prefix: string) => faulty(keys.findByPrefix(prefix)),
      findIdentity: (prefix: string) => faulty(keys.findIdentity(prefix))
    }
  })
)

/**
 * Every request reads the key: with the identity cache on, a key read seconds before the outage
 * keeps working through it (the cache's own test covers that), which is not what this suite asks.
 */
const NoIdentityCache = Layer.setConfigProvider(
  ConfigProvider.fromMap(new Map([["AUTH_CACHE_TTL", "0 millis"]])).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
)

const AppOnFaultyKeys = Layer.mergeAll(servicesWith(HandlersLive), Layer.succeed(Readiness, { mode: "test", check: Effect.void })).pipe(
  Layer.provideMerge(FaultyKeys),
  Layer.provideMerge(MemoryRepositoriesLive),
  Layer.provideMerge(Layer.effect(FaultSwitch, Ref.make<Fault>("none"))),
  Layer.provide(NoIdentityCache)
)

const OutageLive = Layer.effect(
  Keys,
  Effect.gen(function* () {
    const { token } = yield* Effect.orDie(bootstrapAdmin)
    return { fault: yield* FaultSwitch, token }
  })
).pipe(Layer.provideMerge(HttpAppLive.pipe(Layer.provideMerge(AppOnFaultyKeys), Layer.provideMerge(HttpTestServer))))

const PROJECT = "0190b8a4-0000-7000-8000-000000000000"

layer(OutageLive)("authentication during a database outage", (it) => {
  it.effect("answers 503 with Retry-After on a transient failure, 500 on a permanent one, and the key works again after", () =>
    Effect.gen(function* () {
      const { fault, token } = yield* Keys
      expect((yield* get("/api/v1/projects", token)).status).toBe(200)

      yield* Ref.set(fault, "transient")
      const unavailable = yield* get("/api/v1/projects", token, { "x-request-id": "outage-request-1" })
      expectError(unavailable, 503, "ServiceUnavailable")
      expect(unavailable.requestId).toBe("outage-request-1")
      expect(unavailable.headers["retry-after"]).toMatch(/^\d+$/)
      expectError(yield* send("POST", "/api/v1/projects", { token, body: { key: "DOWN", name: "x" } }), 503, "ServiceUnavailable")

      yield* Ref.set(fault, "permanent")
      expectError(yield* get("/api/v1/projects", token), 500, "InternalError")

      yield* Ref.set(fault, "none")
      expect((yield* get("/api/v1/projects", token)).status).toBe(200)
    }))

  it.effect("the live event stream's middleware (header or query key) answers the same, never 401", () =>
    Effect.gen(function* () {
      const { fault, token } = yield* Keys
      yield* Ref.set(fault, "transient")
      expectError(yield* get(`/api/v1/projects/${PROJECT}/events`, token), 503, "ServiceUnavailable")
      const byQuery = yield* get(`/api/v1/projects/${PROJECT}/events?access_token=${token}`)
      expectError(byQuery, 503, "ServiceUnavailable")
      expect(byQuery.headers["retry-after"]).toMatch(/^\d+$/)
      yield* Ref.set(fault, "permanent")
      expectError(yield* get(`/api/v1/projects/${PROJECT}/events`, token), 500, "InternalError")
      yield* Ref.set(fault, "none")
      // A project that does not exist: the key was accepted.
      expectError(yield* get(`/api/v1/projects/${PROJECT}/events`, token), 404, "NotFound")
    }))

  it.effect("the dashboard answers 503 to a bearer key it cannot check", () =>
    Effect.gen(function* () {
      const { fault, token } = yield* Keys
      yield* Ref.set(fault, "transient")
      const reply = yield* get("/dashboard", token)
      yield* Ref.set(fault, "none")
      expectError(reply, 503, "ServiceUnavailable")
    }))
})
