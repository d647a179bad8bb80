import { Effect, Layer } from "effect"
import { ProjectRepository } from "../repositories/ProjectRepository.js"
import { CacheConfig } from "./CacheConfig.js"
import { CachedViews } from "./CachedViews.js"
import { ReadCache } from "./ReadCache.js"

/**
 * At start, the boards of the `CACHE_WARM_BOARDS` most recently active projects (those with the
 * newest events) are loaded into the cache, two at a time, in the background: readiness never
 * waits for it, and a failure only means those boards load on their first read. Boards already
 * cached (another process warmed them, or served them) cost one lookup each.
 */
export const CacheWarmerLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const { warmBoards } = yield* CacheConfig
    const cache = yield* ReadCache
    if (!cache.enabled || warmBoards <= 0) return
    const projects = yield* ProjectRepository
    const views = yield* CachedViews
    yield* projects.recentlyActive(warmBoards).pipe(
      Effect.flatMap((ids) => Effect.as(Effect.forEach(ids, views.warmBoard, { concurrency: 2, discard: true }), ids.length)),
      Effect.tap((count) => Effect.logInfo(`read cache: ${count} boards warmed`)),
      Effect.catchAllCause((cause) => Effect.logWarning("read cache warming failed; those boards load on their first read", cause)),
      Effect.withSpan("CacheWarmer.warm"),
      Effect.forkScoped
    )
  })
)
