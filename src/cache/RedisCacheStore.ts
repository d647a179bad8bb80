import { Duration, Effect, Layer, Redacted, Runtime, type Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import { observeCommand } from "../events/Redis.js"
import { guardRedis } from "../resilience/Breakers.js"
import { CacheError, CacheStore } from "./CacheStore.js"

export interface RedisCacheOptions {
  readonly url: Redacted.Redacted
  /** The deployment's `REDIS_PREFIX`; the cache's keys go under `<prefix>cache:`. */
  readonly prefix: string
  /** Every command is given up after this; the caller then reads the database. */
  readonly timeout: Duration.Duration
}

/**
 * The Redis adapter, shared by every process of a deployment. A connection of its own, tuned
 * for failing open rather than for not losing anything (the event pipeline's connection queues
 * commands while it reconnects; a cache read must not wait for that): no offline queue, no
 * retry of a command, and a timeout on every command. While Redis is away each call fails at
 * once and the read cache goes to the database.
 */
export const makeRedisCacheStore = (options: RedisCacheOptions): Effect.Effect<typeof CacheStore.Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const log = Runtime.runFork(runtime)
    const timeoutMs = Math.max(1, Duration.toMillis(options.timeout))
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const redis = new IORedis(Redacted.value(options.url), {
          connectionName: "flowboard:cache",
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: timeoutMs,
          retryStrategy: (attempt) => Math.min(25 * 2 ** attempt, 2000)
        })
        let healthy = true
        redis.on("ready", () => {
          if (!healthy) log(Effect.logInfo("Redis cache connection restored"))
          healthy = true
        })
        redis.on("error", (error: Error) => {
          if (healthy) log(Effect.logWarning(`Redis cache connection lost; reads go to the database: ${error.message}`))
          healthy = false
        })
        return redis
      }),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    // Without an offline queue every command fails until the connection is up: wait for it a
    // little (bounded; a Redis that is away only means reads go to the database meanwhile).
    yield* Effect.async<void>((resume) => {
      if (client.status === "ready") return resume(Effect.void)
      const ready = () => resume(Effect.void)
      client.once("ready", ready)
      return Effect.sync(() => client.off("ready", ready))
    }).pipe(Effect.timeoutOption(Duration.seconds(1)))
    const key = (k: string) => `${options.prefix}cache:${k}`
    const call = <A>(command: string, run: () => Promise<A>): Effect.Effect<A, CacheError> =>
      Effect.tryPromise({ try: run, catch: (cause) => new CacheError({ operation: command, cause }) }).pipe(
        Effect.timeoutFail({ duration: options.timeout, onTimeout: () => new CacheError({ operation: command, cause: new Error("timeout") }) }),
        (effect) => guardRedis(effect, (open) => new CacheError({ operation: command, cause: open })),
        observeCommand(command)
      )
    return CacheStore.of({
      kind: "redis",
      getMany: (keys) => call("MGET", () => client.mget(keys.map(key))),
      set: (k, value, ttl) => Effect.asVoid(call("SET", () => client.set(key(k), value, "PX", Math.max(1, Duration.toMillis(ttl))))),
      setIfAbsent: (k, value, ttl) =>
        Effect.map(call("SET NX", () => client.set(key(k), value, "PX", Math.max(1, Duration.toMillis(ttl)), "NX")), (reply) => reply === "OK"),
      delete: (keys) => (keys.length === 0 ? Effect.void : Effect.asVoid(call("DEL", () => client.del(...keys.map(key)))))
    })
  })

export const RedisCacheStoreLive = (options: RedisCacheOptions): Layer.Layer<CacheStore> => Layer.scoped(CacheStore, makeRedisCacheStore(options))
