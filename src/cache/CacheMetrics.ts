import { Metric } from "effect"

/** The read caches, a fixed set (the `cache` label). */
export type CacheName = "board" | "task" | "project" | "access"

/** Labels `cache`, `outcome` (`hit`, `miss`: absent, `stale`: present but loaded under an older generation). */
export const cacheLookups = Metric.counter("flowboard_cache_lookups_total", {
  description: "Read cache lookups by outcome",
  incremental: true
})

/** Label `cache`. */
export const cacheLoads = Metric.counter("flowboard_cache_loads_total", {
  description: "Database loads made to fill the read cache (one per key and generation at a time)",
  incremental: true
})

/** Labels `cache`, `outcome` (`filled`: another process loaded it meanwhile, `timeout`: loaded here after the wait). */
export const cacheLockWaits = Metric.counter("flowboard_cache_lock_waits_total", {
  description: "Misses that found another process loading the same entry and waited for it",
  incremental: true
})

/** Label `operation` (`read`, `write`, `lock`, `invalidate`). */
export const cacheErrors = Metric.counter("flowboard_cache_errors_total", {
  description: "Cache store calls that failed or timed out; reads then went to the database (fail open)",
  incremental: true
})

export const cacheInvalidations = Metric.counter("flowboard_cache_invalidations_total", {
  description: "Scope generations bumped after a commit (each makes the scope's cached entries stale)",
  incremental: true
})

export const lookup = (cache: CacheName, outcome: "hit" | "miss" | "stale") =>
  Metric.increment(Metric.tagged(Metric.tagged(cacheLookups, "cache", cache), "outcome", outcome))
export const loaded = (cache: CacheName) => Metric.increment(Metric.tagged(cacheLoads, "cache", cache))
export const waited = (cache: CacheName, outcome: "filled" | "timeout") =>
  Metric.increment(Metric.tagged(Metric.tagged(cacheLockWaits, "cache", cache), "outcome", outcome))
export const failed = (operation: "read" | "write" | "lock" | "invalidate") => Metric.increment(Metric.tagged(cacheErrors, "operation", operation))
