import { Effect, Layer } from "effect"
import { RuntimeMode } from "../src/config/AppConfig.js"
import { PipelineStatusLive } from "../src/events/PipelineStatusLive.js"
import { observeCommand, Redis, RedisConfig, RedisLive } from "../src/events/Redis.js"
import { DependencyProbes, Fallbacks } from "../src/observability/Dependencies.js"
import { RateLimitBackend } from "../src/security/RateLimiter.js"
import { EventTransportLive, TransportChoice } from "./Workers.js"

/** `PING` on the shared command connection; the error names no host or credentials. */
const RedisProbeLive = Layer.effect(
  DependencyProbes,
  Effect.map(Redis, (redis) => [
    {
      name: "redis",
      // Degraded, not critical: without Redis writes still succeed (events wait in the outbox),
      // reads skip the cache, and delivery resumes by itself when it is back.
      required: false,
      check: Effect.tryPromise({
        try: () => redis.commands.ping(),
        catch: (cause) => ({ message: cause instanceof Error ? cause.message : "PING failed" })
      }).pipe(observeCommand("PING"), Effect.asVoid)
    }
  ])
).pipe(Layer.provide(RedisLive))

/** Redis's `PING` when events travel there; nothing otherwise. */
export const DependencyProbesLive = Layer.unwrapEffect(Effect.map(TransportChoice, (transport) => (transport === "redis" ? RedisProbeLive : Layer.empty)))

/**
 * What `/health`, `/metrics` and the dashboard read besides the request path: the event
 * pipeline as it is (outbox, lag per handler, dead letters), Redis when it is configured, and
 * the fallbacks in force. Production without `REDIS_URL` runs events in-process: it works, but
 * only the process that relays can consume, so it is reported as a fallback (degraded).
 * Needs the repositories and the handler registry (the app layer); shares the process's
 * transport with the workers.
 */
export const OperationsLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const mode = yield* RuntimeMode
    const transport = yield* TransportChoice
    const fallbacks = mode === "production" && transport === "in-process"
      ? [
        "events: in-process (REDIS_URL unset): only this process consumes the events it relays",
        "rate limits: per process (REDIS_URL unset): each API process counts its own budgets"
      ]
      : []
    // Budgets are shared through Redis wherever events travel there; otherwise kept in memory.
    const redis = transport === "redis" ? yield* RedisConfig : null
    return Layer.mergeAll(
      PipelineStatusLive.pipe(Layer.provide(EventTransportLive)),
      DependencyProbesLive,
      Layer.succeed(Fallbacks, fallbacks),
      Layer.succeed(RateLimitBackend, redis === null ? { kind: "memory" } : { kind: "redis", url: redis.url, prefix: redis.prefix })
    )
  })
)
