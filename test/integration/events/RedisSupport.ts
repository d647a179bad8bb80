/**
 * Redis for integration suites: the server at `TEST_REDIS_URL`, else `REDIS_URL`. Without one a
 * suite is skipped, unless `REQUIRE_SERVICES=1` (CI), where it runs and fails. Each layer
 * build gets a key prefix of its own and deletes every key under it when it closes, so suites
 * share the server without seeing each other and never flush it.
 */
import { Effect, Layer, Redacted } from "effect"
import type { Redis as IORedis } from "ioredis"
import * as Redis from "../../../src/events/Redis.js"
import { servicesRequired } from "../../support/Database.js"

export const redisUrl: string | undefined = process.env["TEST_REDIS_URL"] ?? process.env["REDIS_URL"]
/** For `describe.skipIf(skipRedis)`. */
export const skipRedis = redisUrl === undefined && !servicesRequired

export const uniquePrefix = (suite: string): string => `fbtest:${suite}:${crypto.randomUUID().slice(0, 8)}:`

/** Deletes every key under `prefix`: what a FLUSHALL does to this suite, and nothing more. */
export const deleteKeys = (client: IORedis, prefix: string): Effect.Effect<number> =>
  Effect.promise(async () => {
    let removed = 0
    let cursor = "0"
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      if (keys.length > 0) removed += await client.del(...keys)
      cursor = next
    } while (cursor !== "0")
    return removed
  })

/** `Redis` on a fresh prefix, cleaned up afterwards. */
export const makeRedisTest = (suite: string, options: { readonly url?: string; readonly commandTimeoutMs?: number } = {}) =>
  Effect.gen(function* () {
    const url = options.url ?? redisUrl
    if (url === undefined) return yield* Effect.dieMessage("Redis is required (REQUIRE_SERVICES=1) but REDIS_URL is not set")
    const prefix = uniquePrefix(suite)
    const redis = yield* Redis.make({ ...options, url: Redacted.make(url), prefix })
    // A connection of its own: the cleanup must work even when the suite's one points elsewhere.
    const cleaner = yield* Redis.make({ url: Redacted.make(redisUrl ?? url), prefix })
    yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
    return { ...redis, cleaner: cleaner.commands }
  })

export const RedisTest = (suite: string): Layer.Layer<Redis.Redis> => Layer.scoped(Redis.Redis, makeRedisTest(suite))
