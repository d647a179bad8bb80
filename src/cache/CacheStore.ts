import { Context, Data, type Duration, type Effect } from "effect"

/** A cache store could not answer (Redis away, timed out, refused). Callers fail open. */
export class CacheError extends Data.TaggedError("CacheError")<{ readonly operation: string; readonly cause: unknown }> {}

/**
 * The cache port: strings under keys, with a time to live. Values are what the read cache
 * serves as they are (encoded JSON bodies), so no adapter decodes anything. Keys are given
 * without the deployment prefix; the adapter adds its own.
 */
export class CacheStore extends Context.Tag("flowboard/CacheStore")<
  CacheStore,
  {
    /** `redis` is shared by every process; `memory` only by this one. */
    readonly kind: "redis" | "memory"
    /** The values of `keys` in one round trip, `null` where absent or expired. */
    readonly getMany: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | null>, CacheError>
    readonly set: (key: string, value: string, ttl: Duration.Duration) => Effect.Effect<void, CacheError>
    /** Sets only when absent (a lock); `true` when this call set it. */
    readonly setIfAbsent: (key: string, value: string, ttl: Duration.Duration) => Effect.Effect<boolean, CacheError>
    readonly delete: (keys: ReadonlyArray<string>) => Effect.Effect<void, CacheError>
  }
>() {}
