import { Config, Duration } from "effect"

/**
 * `CACHE_*`: the read cache. `CACHE_TTL` is a safety net only: entries are made stale by the
 * transaction that changes their data, at its commit; the TTL bounds what a lost invalidation
 * (Redis unreachable at that moment) can leave behind.
 */
export const CacheConfig = Config.all({
  enabled: Config.boolean("CACHE_ENABLED").pipe(Config.withDefault(true)),
  ttl: Config.duration("CACHE_TTL").pipe(Config.withDefault(Duration.seconds(30))),
  warmBoards: Config.integer("CACHE_WARM_BOARDS").pipe(Config.withDefault(20)),
  redisTimeout: Config.duration("CACHE_REDIS_TIMEOUT").pipe(Config.withDefault(Duration.millis(250))),
  lockWait: Config.duration("CACHE_LOCK_WAIT").pipe(Config.withDefault(Duration.millis(500))),
  memoryCapacity: Config.integer("CACHE_MEMORY_CAPACITY").pipe(Config.withDefault(10_000))
})

export type CacheSettings = Config.Config.Success<typeof CacheConfig>
