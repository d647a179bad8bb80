import { Context, Deferred, Duration, Effect, Exit, FiberId, Metric, Option } from "effect"
import type { CacheSettings } from "./CacheConfig.js"
import { type CacheName, cacheInvalidations, failed, loaded, lookup, waited } from "./CacheMetrics.js"
import { type CacheError, CacheStore } from "./CacheStore.js"

/** A cached entry: its key, the cache it counts under, and the scopes whose changes make it stale. */
export interface CacheEntry {
  readonly cache: CacheName
  readonly key: string
  readonly scopes: ReadonlyArray<string>
}

/** Generations outlive every entry stamped with them by far; a lost one only costs misses. */
const GENERATION_TTL = Duration.hours(24)
/** A loader that died holding its lock stops blocking others after this. */
const LOCK_TTL = Duration.seconds(5)
const POLL_INTERVAL = Duration.millis(20)

export interface ReadCacheShape {
  readonly enabled: boolean
  readonly getOrLoad: <E>(entry: CacheEntry, load: Effect.Effect<Option.Option<string>, E>) => Effect.Effect<Option.Option<string>, E>
  /** Makes every entry of these scopes stale. Call after the change has committed. */
  readonly invalidate: (scopes: Iterable<string>) => Effect.Effect<void>
}

/** Caches nothing: every read loads. */
export const disabledReadCache: ReadCacheShape = {
  enabled: false,
  getOrLoad: (_entry, load) => load,
  invalidate: () => Effect.void
}

/**
 * Versioned read-through cache over a `CacheStore`.
 *
 * - **Versioned entries.** An entry is stored as `<generations>\n<body>`, the generations of its
 *   scopes read *before* loading. A lookup reads the scopes' current generations and the entry in
 *   one round trip and serves the body only if they match. A write bumps its scopes' generations
 *   after its commit (`invalidate`), so a reader that loaded before the commit stored an entry
 *   no one will serve, and a reader after the bump misses and loads what committed: a client
 *   never reads its own write stale, whichever process it asks. Generations are random tokens,
 *   not counters, so a Redis that lost its keys cannot make an old entry match again.
 * - **One load per entry at a time**: in this process through a `Deferred` per key and
 *   generation; across processes through a short lock in the store, whose waiters poll for the
 *   entry up to `CACHE_LOCK_WAIT`, then load for themselves.
 * - **Fails open.** A store failure or timeout is counted and the read goes to the database.
 *   A failed invalidation is retried in the background until it succeeds; `CACHE_TTL` bounds
 *   what it can leave stale meanwhile.
 *
 * A reference whose default caches nothing, so a composition without a cache (a test over its
 * own repositories) still builds; layers/Cache.ts provides the real one.
 */
export class ReadCache extends Context.Reference<ReadCache>()("flowboard/ReadCache", {
  defaultValue: (): ReadCacheShape => disabledReadCache
}) {}

const generationKey = (scope: string) => `gen:${scope}`

export const makeReadCache = (settings: Pick<CacheSettings, "ttl" | "lockWait">) =>
  Effect.gen(function* () {
    const store = yield* CacheStore
    const inflight = new Map<string, Deferred.Deferred<Option.Option<string>, void>>()
    const unbumped = new Set<string>()

    const stored = (stamp: string, raw: string | null | undefined): string | null =>
      raw !== null && raw !== undefined && raw.length > stamp.length && raw.startsWith(stamp) && raw.charCodeAt(stamp.length) === 10
        ? raw.slice(stamp.length + 1)
        : null

    const fill = <E>(entry: CacheEntry, stamp: string, load: Effect.Effect<Option.Option<string>, E>) =>
      load.pipe(
        Effect.tap(() => loaded(entry.cache)),
        Effect.tap((body) =>
          Option.isNone(body)
            ? Effect.void
            : store.set(entry.key, `${stamp}\n${body.value}`, settings.ttl).pipe(Effect.catchAll(() => failed("write")))
        )
      )

    /** Another process holds the lock: wait for its entry a bounded time, then load here. */
    const awaitOther = <E>(entry: CacheEntry, stamp: string, load: Effect.Effect<Option.Option<string>, E>) => {
      const polls = Math.max(1, Math.ceil(Duration.toMillis(settings.lockWait) / Duration.toMillis(POLL_INTERVAL)))
      const poll = (left: number): Effect.Effect<Option.Option<string>, E> =>
        left === 0
          ? Effect.zipRight(waited(entry.cache, "timeout"), fill(entry, stamp, load))
          : Effect.sleep(POLL_INTERVAL).pipe(
              Effect.zipRight(store.getMany([entry.key]).pipe(Effect.map((values) => stored(stamp, values[0])), Effect.orElseSucceed(() => null))),
              Effect.flatMap((body) => (body === null ? poll(left - 1) : Effect.as(waited(entry.cache, "filled"), Option.some(body))))
            )
      return poll(polls)
    }

    const leader = <E>(entry: CacheEntry, stamp: string, load: Effect.Effect<Option.Option<string>, E>) => {
      const lock = `lock:${entry.key}|${stamp}`
      return store.setIfAbsent(lock, "1", LOCK_TTL).pipe(
        // Unable to lock (store away): load without it; the fill will most likely fail as well.
        Effect.catchAll(() => Effect.as(failed("lock"), true)),
        Effect.flatMap((acquired) =>
          acquired
            ? fill(entry, stamp, load).pipe(Effect.ensuring(store.delete([lock]).pipe(Effect.catchAll(() => failed("lock")))))
            : awaitOther(entry, stamp, load)
        )
      )
    }

    /** One load per key and generation in this process; the others wait for it (or load themselves if it fails). */
    const single = <E>(entry: CacheEntry, stamp: string, load: Effect.Effect<Option.Option<string>, E>) =>
      Effect.suspend(() => {
        const id = `${entry.key}|${stamp}`
        const running = inflight.get(id)
        if (running !== undefined) return Deferred.await(running).pipe(Effect.catchAll(() => load))
        const deferred = Deferred.unsafeMake<Option.Option<string>, void>(FiberId.none)
        inflight.set(id, deferred)
        return leader(entry, stamp, load).pipe(
          Effect.onExit((exit) =>
            Effect.suspend(() => {
              inflight.delete(id)
              return Exit.isSuccess(exit) ? Deferred.succeed(deferred, exit.value) : Deferred.fail(deferred, undefined)
            })
          )
        )
      })

    const getOrLoad = <E>(entry: CacheEntry, load: Effect.Effect<Option.Option<string>, E>): Effect.Effect<Option.Option<string>, E> =>
      store.getMany([...entry.scopes.map(generationKey), entry.key]).pipe(
        Effect.matchEffect({
          onFailure: (_: CacheError) => Effect.zipRight(failed("read"), load),
          onSuccess: (values) => {
            const stamp = values.slice(0, entry.scopes.length).map((g) => g ?? "0").join(",")
            const raw = values[entry.scopes.length]
            const body = stored(stamp, raw)
            if (body !== null) return Effect.as(lookup(entry.cache, "hit"), Option.some(body))
            return Effect.zipRight(lookup(entry.cache, raw === null || raw === undefined ? "miss" : "stale"), single(entry, stamp, load))
          }
        })
      )

    const bump = (scopes: ReadonlyArray<string>): Effect.Effect<void, CacheError> =>
      Effect.forEach(
        scopes,
        (scope) => store.set(generationKey(scope), crypto.randomUUID(), GENERATION_TTL).pipe(Effect.zipRight(Metric.increment(cacheInvalidations))),
        { concurrency: "unbounded", discard: true }
      )

    // Invalidations that failed (store away at the commit) are retried every second until they
    // land, by one fiber that runs only while some are owed.
    const scope = yield* Effect.scope
    let retrying = false
    const retry: Effect.Effect<void> = Effect.suspend(() => {
      if (unbumped.size === 0) {
        retrying = false
        return Effect.void
      }
      const list = [...unbumped]
      unbumped.clear()
      return bump(list).pipe(
        Effect.catchAll(() => Effect.sync(() => list.forEach((s) => unbumped.add(s)))),
        Effect.zipRight(Effect.sleep(Duration.seconds(1))),
        Effect.zipRight(retry)
      )
    })

    const invalidate = (scopes: Iterable<string>): Effect.Effect<void> =>
      Effect.suspend(() => {
        const list = [...new Set(scopes)]
        if (list.length === 0) return Effect.void
        return bump(list).pipe(
          Effect.catchAll(() =>
            Effect.zipRight(
              failed("invalidate"),
              Effect.suspend(() => {
                list.forEach((s) => unbumped.add(s))
                if (retrying) return Effect.void
                retrying = true
                return Effect.asVoid(Effect.forkIn(Effect.delay(retry, Duration.seconds(1)), scope))
              })
            )
          )
        )
      })

    const cache: ReadCacheShape = { enabled: true, getOrLoad, invalidate }
    return cache
  })
