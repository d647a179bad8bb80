/**
 * ioredis clients, one per role. Commands share one connection (ioredis pipelines concurrent
 * commands on it). A blocking read (`XREAD BLOCK`) holds its connection for the whole wait, so
 * every blocking reader gets a dedicated connection of its own, closed with its scope.
 *
 * Failure behaviour is chosen for the event pipeline: when Redis is away a command fails
 * within about a reconnect attempt (`maxRetriesPerRequest: 1`) or `commandTimeoutMs`, instead
 * of queueing for ever, so the relay rolls back, backs off and leaves events in the outbox.
 * ioredis keeps reconnecting in the background; the first command after Redis returns works.
 */
import { Config, type ConfigError, Context, Effect, Layer, Metric, MetricBoundaries, Redacted, Runtime, type Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import { timedSeconds } from "../observability/Metrics.js"

/** Label `command`: the command as the transport names it (`XADD`, `XREAD BLOCK`, …), a fixed set. */
export const redisCommandDuration = Metric.histogram(
  "redis_client_command_duration_seconds",
  MetricBoundaries.fromIterable([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
  "Time from sending a Redis command to its reply; blocking reads include their wait"
)

/** Label `command`. */
export const redisCommandErrors = Metric.counter("redis_client_command_errors_total", {
  description: "Redis commands that failed: connection lost, timeout or error reply",
  incremental: true
})

/** A client span, the duration histogram and the error counter around one Redis command. */
export const observeCommand = (command: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.tapError(() => Metric.increment(Metric.tagged(redisCommandErrors, "command", command))),
    timedSeconds(Metric.tagged(redisCommandDuration, "command", command)),
    Effect.withSpan(`redis ${command}`, { kind: "client", captureStackTrace: false, attributes: { "db.system.name": "redis", "db.operation.name": command } })
  )

export interface RedisOptions {
  readonly url: Redacted.Redacted
  /** Prepended to every key, so deployments (and test suites) sharing a server stay apart. */
  readonly prefix: string
  /** A non-blocking command not answered by then fails; default 5 s. */
  readonly commandTimeoutMs?: number
  /** Reconnection attempts back off exponentially up to this; default 2 s. */
  readonly maxReconnectDelayMs?: number
}

export class Redis extends Context.Tag("flowboard/Redis")<
  Redis,
  {
    readonly prefix: string
    /** The shared connection for ordinary (non-blocking) commands. */
    readonly commands: IORedis
    /** A new connection for blocking commands, closed when the scope closes. */
    readonly dedicated: (role: string) => Effect.Effect<IORedis, never, Scope.Scope>
  }
>() {}


/** Connection state changes become log lines (once per change, not per failed attempt). */
const observe = (client: IORedis, role: string, runtime: Runtime.Runtime<never>) => {
  const log = Runtime.runFork(runtime)
  let healthy = true
  client.on("ready", () => {
    if (!healthy) log(Effect.logInfo(`Redis ${role} connection restored`))
    healthy = true
  })
  // Without an "error" listener ioredis prints every reconnect failure to the console.
  client.on("error", (error: Error) => {
    if (healthy) log(Effect.logWarning(`Redis ${role} connection lost: ${error.message}`))
    healthy = false
  })
}

const acquire = (options: RedisOptions, role: string, commandTimeout: number | undefined) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    return yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = new IORedis(Redacted.value(options.url), {
          connectionName: `flowboard:${role}`,
          maxRetriesPerRequest: 1,
          // Quickly at first, then at a steady pace, for ever.
          retryStrategy: (attempt) => Math.min(25 * 2 ** attempt, options.maxReconnectDelayMs ?? 2000),
          ...(commandTimeout === undefined ? {} : { commandTimeout })
        })
        observe(client, role, runtime)
        return client
      }),
      // `disconnect`, not `quit`: a blocked XREAD would hold `quit` until its timeout, and
      // anything still in flight at shutdown is retried by the outbox or the consumer group.
      (client) => Effect.sync(() => client.disconnect())
    )
  })

export interface FailFastOptions {
  readonly url: Redacted.Redacted
  /** Names the connection (`flowboard:<role>`). */
  readonly role: string
  /** Every command is given up after this. */
  readonly timeoutMs: number
  /** How long to wait for the first connection, in wall time (a layer built under a test clock must not hang). */
  readonly readyWithinMs: number
  /** The log lines of a lost and a restored connection, in the caller's words. */
  readonly lost: string
  readonly restored: string
}

/**
 * A connection for callers that fail open rather than wait (the read cache, the rate limiter):
 * the event pipeline's connection queues commands while it reconnects; these have no offline
 * queue, no retry of a command and a timeout on every command, so while Redis is away each call
 * fails at once and the caller does without. Waits for the first connection up to `readyWithinMs`.
 */
export const failFastClient = (options: FailFastOptions): Effect.Effect<IORedis, never, Scope.Scope> =>
  Effect.gen(function* () {
    const log = Runtime.runFork(yield* Effect.runtime<never>())
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const redis = new IORedis(Redacted.value(options.url), {
          connectionName: `flowboard:${options.role}`,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: options.timeoutMs,
          retryStrategy: (attempt) => Math.min(25 * 2 ** attempt, 2000)
        })
        let healthy = true
        redis.on("ready", () => {
          if (!healthy) log(Effect.logInfo(options.restored))
          healthy = true
        })
        redis.on("error", (error: Error) => {
          if (healthy) log(Effect.logWarning(`${options.lost}: ${error.message}`))
          healthy = false
        })
        return redis
      }),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    yield* Effect.async<void>((resume) => {
      if (client.status === "ready") return resume(Effect.void)
      const done = () => {
        clearTimeout(timer)
        client.off("ready", done)
        resume(Effect.void)
      }
      const timer = setTimeout(done, options.readyWithinMs)
      client.once("ready", done)
      return Effect.sync(() => {
        clearTimeout(timer)
        client.off("ready", done)
      })
    })
    return client
  })

export const make = (options: RedisOptions): Effect.Effect<Context.Tag.Service<Redis>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const commands = yield* acquire(options, "commands", options.commandTimeoutMs ?? 5000)
    return {
      prefix: options.prefix,
      commands,
      // No command timeout: a blocking read is bounded by its own BLOCK argument.
      dedicated: (role) => acquire(options, role, undefined)
    }
  })

export const layer = (options: RedisOptions): Layer.Layer<Redis> => Layer.scoped(Redis, make(options))

/** `REDIS_URL` (required) and `REDIS_PREFIX` (default `flowboard:`). */
export const RedisConfig = Config.all({
  url: Config.redacted("REDIS_URL"),
  prefix: Config.string("REDIS_PREFIX").pipe(Config.withDefault("flowboard:"))
})

export const RedisLive: Layer.Layer<Redis, ConfigError.ConfigError> = Layer.unwrapEffect(Effect.map(RedisConfig, layer))
