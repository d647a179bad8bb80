import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, type Context, Duration, Effect, Layer, Redacted } from "effect"
import { TestLive } from "../../../layers/Test.js"
import * as Redis from "../../../src/events/Redis.js"
import { HttpAppLive } from "../../../src/http/Server.js"
import { RateLimitBackend } from "../../../src/security/RateLimiter.js"
import { makeRedisRateLimitStore } from "../../../src/security/RedisRateLimitStore.js"
import { rateLimitStoreContract } from "../../contract/RateLimitStoreContract.js"
import { get } from "../../e2e/Harness.js"
import { HttpTestServer } from "../../support/TestApi.js"
import { deleteKeys, redisUrl, skipRedis, uniquePrefix } from "../events/RedisSupport.js"

const url = redisUrl ?? "redis://127.0.0.1:6379"

/** A prefix of the suite's own, its keys deleted when the scope closes. */
const ownPrefix = (suite: string) =>
  Effect.gen(function* () {
    const prefix = uniquePrefix(suite)
    const cleaner = yield* Redis.make({ url: Redacted.make(url), prefix })
    yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
    return prefix
  })

/** One API instance: its own in-memory data, limiter and Redis connection, budgets at `redisAt`. */
const instance = (redisAt: string, prefix: string) =>
  Layer.build(
    HttpAppLive.pipe(
      Layer.provideMerge(TestLive),
      Layer.provideMerge(HttpTestServer),
      Layer.provide(Layer.succeed(RateLimitBackend, { kind: "redis", url: Redacted.make(redisAt), prefix })),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["RATE_LIMIT_ANONYMOUS", "4"]]))))
    )
  )

const statusFrom = (context: Context.Context<HttpClient.HttpClient>) => Effect.map(get("/api/v1/me").pipe(Effect.provide(context)), (reply) => reply.status)

describe.skipIf(skipRedis)("rate limits on Redis", () => {
  rateLimitStoreContract(
    "redis",
    Effect.gen(function* () {
      const prefix = yield* ownPrefix("ratelimit")
      return yield* makeRedisRateLimitStore({ url: Redacted.make(url), prefix, timeout: Duration.seconds(1) })
    }),
    (key) => key
  )

  it.scopedLive("two API instances on one Redis share one budget", () =>
    Effect.gen(function* () {
      const prefix = yield* ownPrefix("ratelimit-shared")
      const a = yield* instance(url, prefix)
      const b = yield* instance(url, prefix)
      const statuses = [yield* statusFrom(a), yield* statusFrom(b), yield* statusFrom(a), yield* statusFrom(b), yield* statusFrom(a), yield* statusFrom(b)]
      // Four in all, not four each.
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429])
    }))

  it.scopedLive("with Redis unreachable, each instance limits on its own memory and /health says so", () =>
    Effect.gen(function* () {
      // Port 1 on loopback: nothing listens, every check fails at once.
      const a = yield* instance("redis://127.0.0.1:1", "unreachable:")
      const statuses = []
      for (let i = 0; i < 5; i++) statuses.push(yield* statusFrom(a))
      expect(statuses).toEqual([401, 401, 401, 401, 429])
      const health = yield* get("/health").pipe(Effect.provide(a))
      expect(health.body).toMatchObject({
        status: "degraded",
        fallbacks: [expect.stringMatching(/^rate limits: local to this process since .* \(Redis unreachable\)$/)]
      })
    }))
})
