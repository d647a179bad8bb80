import { Context, DateTime, Effect, Layer, Metric, Option } from "effect"
import { TransientFallbacks } from "../observability/Dependencies.js"
import { RateLimitConfig } from "./SecurityConfig.js"
import { type Admission, type Charge, type Failure, makeMemoryRateLimitStore, type NewBlock, RateLimitStore, type RateLimitStoreError } from "./RateLimitStore.js"
import { makeRedisRateLimitStore, type RedisRateLimitOptions } from "./RedisRateLimitStore.js"

/**
 * Where the composition root wants budgets kept: Redis (production with `REDIS_URL`, shared by
 * every API process) or this process's memory (the default: embedded mode and tests).
 */
export class RateLimitBackend extends Context.Reference<RateLimitBackend>()("flowboard/RateLimitBackend", {
  defaultValue: (): { readonly kind: "memory" } | ({ readonly kind: "redis" } & Omit<RedisRateLimitOptions, "timeout">) => ({ kind: "memory" })
}) {}

/** Label `store`: `redis`, or `memory` (the process's own, also while Redis is away). */
export const rateLimitFallbacks = Metric.counter("flowboard_rate_limit_fallbacks_total", {
  description: "Rate-limit checks made in this process's memory because the shared (Redis) store failed or its breaker was open",
  incremental: true
})

/**
 * The limiter the HTTP layer asks: the configured store, and when that is Redis and Redis fails
 * (or its breaker is open), this process's memory instead. A limiter fails open to the local
 * one: never to no limit, and never to a refusal because a store is away. While the local one
 * stands in, `/health` reports it as a fallback (each process then counts on its own, so a
 * client spread over N processes gets up to N budgets).
 */
export class RateLimiter extends Context.Tag("flowboard/RateLimiter")<
  RateLimiter,
  {
    readonly admit: (blocks: ReadonlyArray<string>, charges: ReadonlyArray<Charge>) => Effect.Effect<Admission>
    readonly fail: (failure: Failure) => Effect.Effect<ReadonlyArray<NewBlock>>
  }
>() {}

const makeRateLimiter = Effect.gen(function* () {
  const settings = yield* RateLimitConfig
  const backend = yield* RateLimitBackend
  const local = makeMemoryRateLimitStore(settings.memoryCapacity)
  const shared = backend.kind === "redis"
    ? yield* makeRedisRateLimitStore({ url: backend.url, prefix: backend.prefix, timeout: settings.redisTimeout })
    : null
  // When the shared store last failed; cleared by its next success.
  let failingSince: DateTime.Utc | null = null

  const withFallback = <A>(operation: (store: typeof RateLimitStore.Service) => Effect.Effect<A, RateLimitStoreError>): Effect.Effect<A> => {
    if (shared === null) return Effect.orDie(operation(local))
    return operation(shared).pipe(
      Effect.tap(() =>
        failingSince === null
          ? Effect.void
          : Effect.sync(() => {
              failingSince = null
            }).pipe(Effect.zipRight(Effect.logInfo("rate limits: shared through Redis again")))
      ),
      Effect.catchAll((error) =>
        Effect.gen(function* () {
          if (failingSince === null) {
            failingSince = yield* DateTime.now
            yield* Effect.logWarning(`rate limits: Redis failed (${error.operation}); each process limits on its own until it is back`)
          }
          yield* Metric.increment(rateLimitFallbacks)
          return yield* Effect.orDie(operation(local))
        })
      )
    )
  }

  const status = Effect.sync(() =>
    failingSince === null
      ? Option.none<string>()
      : Option.some(`rate limits: local to this process since ${DateTime.formatIso(failingSince)} (Redis unreachable)`)
  )

  return {
    limiter: RateLimiter.of({
      admit: (blocks, charges) => withFallback((store) => store.admit(blocks, charges)),
      fail: (failure) => withFallback((store) => store.fail(failure))
    }),
    status
  }
})

/** The limiter, and its fallback state for `/health`. */
export const RateLimiterLive = Layer.scopedContext(
  Effect.map(makeRateLimiter, ({ limiter, status }) =>
    Context.make(RateLimiter, limiter).pipe(Context.add(TransientFallbacks, [status]))
  )
)
