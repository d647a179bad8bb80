/**
 * Named retry schedules, shared by every component that retries: pick one by name rather than
 * composing a fresh `Schedule` at the call site, so policies are reviewed in one place.
 *
 * All are exponential backoff, capped, with jitter. Full jitter (a uniformly random delay in
 * `[0, min(cap, base * factor^n)]`) spreads the retries of many clients that failed together
 * (a Redis restart drops every worker at once), which is what keeps them from stampeding back
 * in lock-step; see "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015). The
 * randomness comes from Effect's `Random` and the waiting from `Clock`, so tests can pin both
 * (`Effect.withRandom`, `TestClock`).
 */
import { Chunk, Duration, Effect, Option, Schedule } from "effect"

export interface BackoffOptions {
  /** The first delay, before jitter. */
  readonly base: Duration.DurationInput
  /** No delay exceeds this, before jitter. */
  readonly cap: Duration.DurationInput
  /** Growth per retry; 2 unless given. */
  readonly factor?: number
  /** Retries after the first attempt; unbounded when absent (loops that must never give up). */
  readonly maxRetries?: number
  /**
   * `"full"`: delay in `[0, d]` (default, best spread). `"equal"`: delay in `[d/2, d]`, for loops
   * that retry forever and must not spin when the random draw is close to zero.
   */
  readonly jitter?: "full" | "equal"
}

/** Exponential, capped, jittered, optionally bounded. The output is the delay before the retry. */
export const backoff = (options: BackoffOptions): Schedule.Schedule<Duration.Duration> => {
  const cap = Duration.decode(options.cap)
  const capped = Schedule.exponential(options.base, options.factor ?? 2).pipe(
    // `exponential` overflows to Infinity after enough retries; `min` keeps the cap honest.
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.jitteredWith(options.jitter === "equal" ? { min: 0.5, max: 1 } : { min: 0, max: 1 }),
    Schedule.delays
  )
  return options.maxRetries === undefined
    ? capped
    : capped.pipe(Schedule.zipLeft(Schedule.recurs(options.maxRetries)))
}

/**
 * Event handlers: 8 retries from 200 ms up to 30 s (about 1 minute of trying in the worst case),
 * then the event is dead-lettered. Long enough to ride out a database failover.
 */
export const handlerRetry = backoff({ base: "200 millis", cap: "30 seconds", maxRetries: 8 })

/** Background jobs: fewer, slower retries; a job is usually a large unit of work. */
export const jobRetry = backoff({ base: "1 second", cap: "5 minutes", maxRetries: 5 })

/**
 * Infrastructure loops that must never stop (outbox relay, consumer read loop) while Redis or
 * Postgres is away: unbounded, reaching at most 5 s between tries, never spinning.
 */
export const infrastructureRetry = backoff({ base: "100 millis", cap: "5 seconds", jitter: "equal" })

/** A short in-place retry of one call on a transient error (a dropped connection, a deadlock). */
export const transientRetry = backoff({ base: "20 millis", cap: "500 millis", maxRetries: 3 })

/**
 * Webhook deliveries: from 10 s, tripling, up to 4 h between attempts, 12 attempts in all: with
 * equal jitter, 10 to 21 hours of trying before a delivery is given up. A receiver that is down
 * for a deploy or a night gets everything. Settable (`WEBHOOK_RETRY_*`, WebhookConfig.ts).
 */
export const webhookRetry: BackoffOptions = { base: "10 seconds", cap: "4 hours", factor: 3, maxRetries: 11, jitter: "equal" }

/**
 * The delay `schedule` puts before retry number `retry` (0 is the first retry), or none when it
 * has given up by then: for retries whose state is stored (a webhook delivery's attempt count)
 * rather than held by a running `Effect.retry`. The schedule is stepped from the start, so the
 * jitter is drawn from `Random` as a running retry would draw it.
 */
export const delayOfRetry = (schedule: Schedule.Schedule<Duration.Duration>, retry: number): Effect.Effect<Option.Option<Duration.Duration>> =>
  // `run` also yields the output of the step at which the schedule is done: a retry is allowed
  // only when a step after it still came.
  Effect.map(Schedule.run(schedule, 0, Array.from({ length: retry + 2 }, () => undefined)), (delays) =>
    Chunk.size(delays) > retry + 1 ? Chunk.get(delays, retry) : Option.none())
