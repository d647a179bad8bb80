/**
 * The circuit breakers Flowboard puts where it calls out, and how code finds them.
 *
 * - `DatabaseBreaker` (breaker `postgres`): every repository statement outside a unit of work,
 *   and every outermost unit of work (its statements are not counted again one by one). Only
 *   transient failures count (the database unreachable, a pool or statement timeout); a domain
 *   error or a constraint violation means the database answered. While it is open, a call fails
 *   at once with a transient `RepositoryError`: a `503` with `Retry-After`, without waiting for
 *   a connection that will not come. Production on Postgres only; PGlite runs in the process.
 * - `CircuitBreakers`: every breaker the process made, for `/health`, readiness and the dashboard.
 *
 * Both are `Context.Reference`s whose defaults do nothing, so code and tests that never install
 * a breaker run as before.
 */
import { Config, Context, Duration, Effect, FiberRef, Layer, Predicate } from "effect"
import { isTransientRepositoryError, RepositoryError } from "../domain/Errors.js"
import { type CircuitBreaker, CircuitOpenError, make } from "./CircuitBreaker.js"

export class CircuitBreakers extends Context.Reference<CircuitBreakers>()("flowboard/CircuitBreakers", {
  defaultValue: (): ReadonlyArray<CircuitBreaker> => []
}) {}

export class DatabaseBreaker extends Context.Reference<DatabaseBreaker>()("flowboard/DatabaseBreaker", {
  defaultValue: (): CircuitBreaker | null => null
}) {}

/**
 * Breaker `redis`: every Redis command of the event transport and the read cache (blocking
 * reads included; they wait less than the slow-call bound). Only failures to reach Redis count
 * (refused, reset, timed out); an error reply (`NOGROUP`, `BUSYGROUP`) means Redis answered.
 * While it is open, commands fail at once: the relay and consumers back off as for any Redis
 * failure, and the cache goes to the database without waiting out its timeout.
 */
export class RedisBreaker extends Context.Reference<RedisBreaker>()("flowboard/RedisBreaker", {
  defaultValue: (): CircuitBreaker | null => null
}) {}

/** Inside an outermost unit of work: its statements are counted with it, not again alone. */
export const InUnitOfWork = FiberRef.unsafeMake(false)


const refused = (error: CircuitOpenError) =>
  new RepositoryError({ message: `${error.message}: not trying the database`, transient: true, cause: error })

/** `effect` through the database breaker, when one is installed; an open breaker is a transient failure. */
export const guardDatabase = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
  Effect.flatMap(DatabaseBreaker, (breaker): Effect.Effect<A, E | RepositoryError, R> => (breaker === null ? effect : protectWith(breaker, effect)))

const protectWith = <A, E, R>(breaker: CircuitBreaker, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
  breaker.protect(effect).pipe(Effect.mapError((error): E | RepositoryError => (error instanceof CircuitOpenError ? refused(error) : error)))

/** As `guardDatabase`, for a single statement: not inside a unit of work, which is guarded whole. */
export const guardStatement = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
  Effect.flatMap(DatabaseBreaker, (breaker): Effect.Effect<A, E | RepositoryError, R> =>
    breaker === null ? effect : Effect.flatMap(FiberRef.get(InUnitOfWork), (inUnit) => (inUnit ? effect : protectWith(breaker, effect))))

/** `effect` through the Redis breaker, when one is installed; `refusedAs` turns an open breaker into the caller's error. */
export const guardRedis = <A, E, R>(effect: Effect.Effect<A, E, R>, refusedAs: (error: CircuitOpenError) => E): Effect.Effect<A, E, R> =>
  Effect.flatMap(RedisBreaker, (breaker): Effect.Effect<A, E, R> =>
    breaker === null ? effect : breaker.protect(effect).pipe(Effect.mapError((error): E => (error instanceof CircuitOpenError ? refusedAs(error) : error))))

/** An error reply is Redis answering; anything else (a connection refused, reset or timed out) is Redis away. */
export const isRedisUnreachable = (error: unknown): boolean => {
  const cause = Predicate.hasProperty(error, "cause") ? error.cause : error
  return !(cause instanceof Error && cause.name === "ReplyError")
}

/** A breaker's settings under `<PREFIX>_BREAKER_*`, with per-dependency defaults. */
export const breakerConfig = (prefix: string, slowCall: Duration.Duration, openFor: Duration.Duration = Duration.seconds(5)) =>
  Config.all({
    windowSize: Config.integer(`${prefix}_BREAKER_WINDOW`).pipe(Config.withDefault(20)),
    minimumCalls: Config.integer(`${prefix}_BREAKER_MINIMUM_CALLS`).pipe(Config.withDefault(10)),
    failureRate: Config.number(`${prefix}_BREAKER_FAILURE_RATE`).pipe(Config.withDefault(50)),
    slowCall: Config.duration(`${prefix}_BREAKER_SLOW_CALL`).pipe(Config.withDefault(slowCall)),
    slowCallRate: Config.number(`${prefix}_BREAKER_SLOW_CALL_RATE`).pipe(Config.withDefault(100)),
    waitInOpen: Config.duration(`${prefix}_BREAKER_OPEN_FOR`).pipe(Config.withDefault(openFor)),
    halfOpenCalls: Config.integer(`${prefix}_BREAKER_TRIAL_CALLS`).pipe(Config.withDefault(3))
  }).pipe(
    Config.validate({
      message: `${prefix}_BREAKER_*: the window, minimum and trial calls must be at least 1, and the rates between 1 and 100`,
      validation: (c) =>
        c.windowSize >= 1 && c.minimumCalls >= 1 && c.halfOpenCalls >= 1 && c.failureRate > 0 && c.failureRate <= 100 && c.slowCallRate > 0 && c.slowCallRate <= 100
    })
  )

export const DatabaseBreakerConfig = breakerConfig("DATABASE", Duration.seconds(10))
/** Slow at 30 s by default: blocking reads wait up to WORKER_BLOCK (2 s) and must never count as slow. */
export const RedisBreakerConfig = breakerConfig("REDIS", Duration.seconds(30))

const breakerFrom = (name: string, config: Config.Config.Success<typeof DatabaseBreakerConfig>, isFailure: (error: unknown) => boolean) =>
  make({
    name,
    window: { kind: "count", size: config.windowSize },
    minimumCalls: config.minimumCalls,
    failureRateThreshold: config.failureRate,
    slowCallDuration: config.slowCall,
    slowCallRateThreshold: config.slowCallRate,
    waitInOpen: config.waitInOpen,
    halfOpenCalls: config.halfOpenCalls,
    isFailure
  })

/** The `postgres` breaker, and the `redis` one when `withRedis`: installed, and listed in `CircuitBreakers`. */
export const BreakersLive = (withRedis: boolean) => Layer.unwrapEffect(
  Effect.gen(function* () {
    const postgres = yield* breakerFrom("postgres", yield* DatabaseBreakerConfig, isTransientRepositoryError)
    if (!withRedis) return Layer.mergeAll(Layer.succeed(DatabaseBreaker, postgres), Layer.succeed(CircuitBreakers, [postgres]))
    const redis = yield* breakerFrom("redis", yield* RedisBreakerConfig, isRedisUnreachable)
    return Layer.mergeAll(Layer.succeed(DatabaseBreaker, postgres), Layer.succeed(RedisBreaker, redis), Layer.succeed(CircuitBreakers, [postgres, redis]))
  })
)
