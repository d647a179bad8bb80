import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Option, Redacted, Ref, Schedule } from "effect"
import { CacheStore } from "../../../src/cache/CacheStore.js"
import { makeReadCache } from "../../../src/cache/ReadCache.js"
import { makeRedisCacheStore } from "../../../src/cache/RedisCacheStore.js"
import * as Redis from "../../../src/events/Redis.js"
import { deleteKeys, redisUrl, skipRedis, uniquePrefix } from "../events/RedisSupport.js"

const settings = { ttl: Duration.seconds(30), lockWait: Duration.seconds(2) }
const entry = { cache: "board", key: "view:board:p1", scopes: ["project:p1"] } as const

/** One "process": its own connection and read cache, on a prefix shared with the others of the test. */
const instance = (url: string, prefix: string) =>
  Effect.gen(function* () {
    const store = yield* makeRedisCacheStore({ url: Redacted.make(url), prefix, timeout: Duration.millis(500) })
    // ioredis connects asynchronously; without an offline queue, wait until it answers.
    yield* store.getMany(["ping"]).pipe(Effect.retry({ times: 100, schedule: Schedule.spaced("10 millis") }), Effect.orDie)
    return yield* makeReadCache(settings).pipe(Effect.provideService(CacheStore, store))
  })

const shared = Effect.gen(function* () {
  const url = redisUrl ?? (yield* Effect.dieMessage("Redis is required (REQUIRE_SERVICES=1) but REDIS_URL is not set"))
  const prefix = uniquePrefix("cache")
  const cleaner = yield* Redis.make({ url: Redacted.make(url), prefix })
  yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
  return { url, prefix }
})

describe.skipIf(skipRedis)("read cache on Redis, two processes", () => {
  it.live("a write invalidated through one process is never served stale by the other", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url, prefix } = yield* shared
        const a = yield* instance(url, prefix)
        const b = yield* instance(url, prefix)
        expect(yield* a.getOrLoad(entry, Effect.succeedSome("v1"))).toEqual(Option.some("v1"))
        // B sees A's entry without loading.
        expect(yield* b.getOrLoad(entry, Effect.succeedSome("never"))).toEqual(Option.some("v1"))
        // A write commits through B; A then reads what committed.
        yield* b.invalidate(["project:p1"])
        expect(yield* a.getOrLoad(entry, Effect.succeedSome("v2"))).toEqual(Option.some("v2"))
      })
    ))

  it.live("concurrent misses in two processes make one load", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url, prefix } = yield* shared
        const a = yield* instance(url, prefix)
        const b = yield* instance(url, prefix)
        const loads = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const load = Ref.update(loads, (n) => n + 1).pipe(Effect.zipRight(Deferred.await(gate)), Effect.as(Option.some("body")))
        const readers = yield* Effect.fork(
          Effect.all([...Array.from({ length: 10 }, () => a.getOrLoad(entry, load)), ...Array.from({ length: 10 }, () => b.getOrLoad(entry, load))], {
            concurrency: "unbounded"
          })
        )
        yield* Effect.sleep(Duration.millis(100))
        yield* Deferred.succeed(gate, undefined)
        const bodies = yield* Fiber.join(readers)
        expect(bodies.every((body) => Option.getOrNull(body) === "body")).toBe(true)
        expect(yield* Ref.get(loads)).toBe(1)
      })
    ))

  it.live("fails open: with Redis unreachable every read goes to the database", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // A port nothing listens on: the shared server is never touched.
        const store = yield* makeRedisCacheStore({ url: Redacted.make("redis://127.0.0.1:1"), prefix: "fbtest:down:", timeout: Duration.millis(100) })
        const cache = yield* makeReadCache(settings).pipe(Effect.provideService(CacheStore, store))
        expect(yield* cache.getOrLoad(entry, Effect.succeedSome("db"))).toEqual(Option.some("db"))
        yield* cache.invalidate(["project:p1"])
        expect(yield* cache.getOrLoad(entry, Effect.succeedSome("db2"))).toEqual(Option.some("db2"))
      })
    ))
})
