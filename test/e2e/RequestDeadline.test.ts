/**
 * The request deadline (REQUEST_TIMEOUT): a request whose handler waits on a dependency that
 * stopped answering (here the key lookup never returns, as on a partitioned database) is
 * answered 503 in the error shape, with its correlation id and Retry-After, without waiting for
 * the handler's clean-up (which may need the same dependency), and the process
 * answers the next request normally once the dependency is back.
 */
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Deferred, Effect, Layer, Metric, Ref } from "effect"
import { HandlersLive } from "../../layers/Handlers.js"
import { servicesWith } from "../../layers/Services.js"
import { requestTimeouts } from "../../src/http/RequestDeadline.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { Readiness } from "../../src/observability/Readiness.js"
import { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import { MemoryRepositoriesLive } from "../../src/repositories/memory/index.js"
import { bootstrapAdmin, HttpTestServer } from "../support/TestApi.js"
import { expectError, get } from "./Harness.js"

class Hang extends Context.Tag("e2e/Hang")<Hang, Ref.Ref<boolean>>() {}
/** What an interrupted lookup's clean-up waits for, as a ROLLBACK waits on a partitioned connection. */
class CleanUp extends Context.Tag("e2e/CleanUp")<CleanUp, Deferred.Deferred<void>>() {}
class Token extends Context.Tag("e2e/Token")<Token, string>() {}

const HangingKeys = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const keys = yield* ApiKeyRepository
    const hang = yield* Hang
    const cleanUp = yield* CleanUp
    const stuck = Effect.never.pipe(Effect.onInterrupt(() => Deferred.await(cleanUp)))
    return { ...keys, findIdentity: (prefix: string) => Effect.flatMap(Ref.get(hang), (now) => (now ? stuck : keys.findIdentity(prefix))) }
  })
)

const Settings = Layer.setConfigProvider(
  ConfigProvider.fromMap(new Map([["AUTH_CACHE_TTL", "0 millis"], ["REQUEST_TIMEOUT", "300 millis"]])).pipe(
    ConfigProvider.orElse(() => ConfigProvider.fromEnv())
  )
)

const App = Layer.mergeAll(servicesWith(HandlersLive), Layer.succeed(Readiness, { mode: "test", check: Effect.void })).pipe(
  Layer.provideMerge(HangingKeys),
  Layer.provideMerge(MemoryRepositoriesLive),
  Layer.provideMerge(Layer.effect(Hang, Ref.make(false))),
  Layer.provideMerge(Layer.effect(CleanUp, Deferred.make<void>()))
)

const Live = Layer.effect(Token, Effect.map(Effect.orDie(bootstrapAdmin), ({ token }) => token)).pipe(
  Layer.provideMerge(HttpAppLive.pipe(Layer.provideMerge(App), Layer.provideMerge(HttpTestServer))),
  Layer.provide(Settings)
)

layer(Live, { excludeTestServices: true, timeout: 20_000 })("the request deadline", (it) => {
  it.effect("a request that cannot finish, nor even clean up, is answered 503 with Retry-After and its correlation id; the next one is served", () =>
    Effect.gen(function* () {
      const token = yield* Token
      const hang = yield* Hang
      expect((yield* get("/api/v1/projects", token)).status).toBe(200)
      const before = (yield* Metric.value(requestTimeouts)).count

      yield* Ref.set(hang, true)
      const late = yield* get("/api/v1/projects", token, { "x-request-id": "deadline-request-1" })
      expectError(late, 503, "ServiceUnavailable")
      expect(late.requestId).toBe("deadline-request-1")
      expect(late.headers["retry-after"]).toMatch(/^\d+$/)
      expect((yield* Metric.value(requestTimeouts)).count).toBe(before + 1)

      yield* Ref.set(hang, false)
      expect((yield* get("/api/v1/projects", token)).status).toBe(200)
      yield* Deferred.succeed(yield* CleanUp, undefined)
    }))
})
