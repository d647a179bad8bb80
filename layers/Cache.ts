import { Effect, Layer } from "effect"
import { CacheConfig } from "../src/cache/CacheConfig.js"
import { CacheInvalidationLive } from "../src/cache/CacheInvalidation.js"
import type { CacheStore } from "../src/cache/CacheStore.js"
import { MemoryCacheStoreLive } from "../src/cache/MemoryCacheStore.js"
import { disabledReadCache, makeReadCache, ReadCache } from "../src/cache/ReadCache.js"
import { RedisCacheStoreLive } from "../src/cache/RedisCacheStore.js"
import { RedisConfig } from "../src/events/Redis.js"
import { TransportChoice } from "./Workers.js"

/** The read cache on the given store, and the invalidation that its decorators report to. */
export const cacheOn = (store: Layer.Layer<CacheStore>) =>
  CacheInvalidationLive.pipe(
    Layer.provideMerge(
      Layer.scoped(
        ReadCache,
        Effect.gen(function* () {
          const settings = yield* CacheConfig
          return settings.enabled ? yield* makeReadCache(settings) : disabledReadCache
        })
      )
    ),
    Layer.provide(store)
  )

/** A read cache that caches nothing: every read goes to the database. */
export const NoCache = CacheInvalidationLive.pipe(Layer.provideMerge(Layer.succeed(ReadCache, disabledReadCache)))

/**
 * Which store, by mode:
 * - production with `REDIS_URL`: Redis, shared by every process;
 * - embedded and tests: process memory (embedded mode is one process: PGlite's lock);
 * - production without Redis: none. API processes would each keep their own copy, and one of
 *   them would serve a write made through another stale, so nothing is cached (logged at start).
 */
export const CacheLive = (mode: string) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const settings = yield* CacheConfig
      if (!settings.enabled) return NoCache
      if (mode !== "production") return cacheOn(MemoryCacheStoreLive(settings.memoryCapacity))
      if ((yield* TransportChoice) === "redis") {
        const redis = yield* RedisConfig
        return cacheOn(RedisCacheStoreLive({ url: redis.url, prefix: redis.prefix, timeout: settings.redisTimeout }))
      }
      yield* Effect.logWarning("read cache off: production without REDIS_URL has no store every process shares")
      return NoCache
    })
  )
