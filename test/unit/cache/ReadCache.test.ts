import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Option, Ref, TestClock } from "effect"
import { CacheError, CacheStore } from "../../../src/cache/CacheStore.js"
import { makeMemoryCacheStore } from "../../../src/cache/MemoryCacheStore.js"
import { makeReadCache } from "../../../src/cache/ReadCache.js"

const settings = { ttl: Duration.seconds(30), lockWait: Duration.millis(500) }
const entry = { cache: "board", key: "view:board:p1", scopes: ["project:p1"] } as const

const withCache = Effect.gen(function* () {
  const store = yield* makeMemoryCacheStore(100)
  const cache = yield* makeReadCache(settings).pipe(Effect.provideService(CacheStore, store))
  return { store, cache }
})

describe("MemoryCacheStore", () => {
  it.effect("forgets a value at its TTL, by the clock", () =>
    Effect.gen(function* () {
      const store = yield* makeMemoryCacheStore(10)
      yield* store.set("k", "v", Duration.seconds(5))
      expect(yield* store.getMany(["k", "absent"])).toEqual(["v", null])
      yield* TestClock.adjust(Duration.seconds(5))
      expect(yield* store.getMany(["k"])).toEqual([null])
    }))

  it.effect("sets if absent only once, and drops the least recently used beyond capacity", () =>
    Effect.gen(function* () {
      const store = yield* makeMemoryCacheStore(2)
      expect(yield* store.setIfAbsent("lock", "1", Duration.seconds(1))).toBe(true)
      expect(yield* store.setIfAbsent("lock", "1", Duration.seconds(1))).toBe(false)
      yield* store.set("a", "1", Duration.seconds(9))
      yield* store.set("b", "2", Duration.seconds(9))
      expect(yield* store.getMany(["lock", "a", "b"])).toEqual([null, "1", "2"])
    }))
})

describe("ReadCache", () => {
  it.scoped("serves a hit without loading, and loads again after its scope is invalidated", () =>
    Effect.gen(function* () {
      const { cache } = yield* withCache
      const loads = yield* Ref.make(0)
      const load = (body: string) => Effect.as(Ref.update(loads, (n) => n + 1), Option.some(body))
      expect(yield* cache.getOrLoad(entry, load("v1"))).toEqual(Option.some("v1"))
      expect(yield* cache.getOrLoad(entry, load("never"))).toEqual(Option.some("v1"))
      yield* cache.invalidate(["project:p1"])
      expect(yield* cache.getOrLoad(entry, load("v2"))).toEqual(Option.some("v2"))
      expect(yield* Ref.get(loads)).toBe(2)
    }))

  it.scoped("never serves what was loaded before an invalidation that happened during the load", () =>
    Effect.gen(function* () {
      const { cache } = yield* withCache
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const slow = Deferred.succeed(started, undefined).pipe(Effect.zipRight(Deferred.await(release)), Effect.as(Option.some("old")))
      const reader = yield* Effect.fork(cache.getOrLoad(entry, slow))
      yield* Deferred.await(started)
      yield* cache.invalidate(["project:p1"]) // the write commits while the reader loads
      yield* Deferred.succeed(release, undefined)
      expect(yield* Fiber.join(reader)).toEqual(Option.some("old"))
      expect(yield* cache.getOrLoad(entry, Effect.succeed(Option.some("new")))).toEqual(Option.some("new"))
    }))

  it.scoped("N concurrent misses of one key make one load", () =>
    Effect.gen(function* () {
      const { cache } = yield* withCache
      const loads = yield* Ref.make(0)
      const gate = yield* Deferred.make<void>()
      const load = Ref.update(loads, (n) => n + 1).pipe(Effect.zipRight(Deferred.await(gate)), Effect.as(Option.some("body")))
      const readers = yield* Effect.fork(Effect.all(Array.from({ length: 20 }, () => cache.getOrLoad(entry, load)), { concurrency: "unbounded" }))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      const bodies = yield* Fiber.join(readers)
      expect(bodies.every((b) => Option.getOrNull(b) === "body")).toBe(true)
      expect(yield* Ref.get(loads)).toBe(1)
    }))

  it.scoped("fails open: a store that cannot answer sends every read to the loader", () =>
    Effect.gen(function* () {
      const broken = CacheStore.of({
        kind: "redis",
        getMany: () => Effect.fail(new CacheError({ operation: "MGET", cause: "connection refused" })),
        set: () => Effect.void,
        setIfAbsent: () => Effect.succeed(true),
        delete: () => Effect.void
      })
      const cache = yield* makeReadCache(settings).pipe(Effect.provideService(CacheStore, broken))
      expect(yield* cache.getOrLoad(entry, Effect.succeed(Option.some("db")))).toEqual(Option.some("db"))
    }))
})
