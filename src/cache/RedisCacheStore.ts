import { Duration, Effect, Layer, type Redacted, type Scope } from "effect"
import { failFastClient, observeCommand } from "../events/Redis.js"
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
    const client = yield* failFastClient({
      url: options.url,
      role: "cache",
      timeoutMs: Math.max(1, Duration.toMillis(options.timeout)),
      readyWithinMs: 1000,
      lost: "Redis cache connection lost; reads go to the database",
      restored: "Redis cache connection restored"
    })
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
