/**
 * A circuit breaker, with resilience4j's semantics (the reference most operators know):
 *
 * - **closed**: calls pass; each outcome goes into a sliding window, count-based (the last
 *   `size` calls) or time-based (the calls of the last `size` seconds, in one-second buckets).
 *   Once the window holds `minimumCalls`, a failure rate or a slow-call rate at or above its
 *   threshold opens the breaker.
 * - **open**: calls fail at once with `CircuitOpenError` (its `retryAfter` is the time left),
 *   for `waitInOpen`. The first call after that moves the breaker to half-open (resilience4j
 *   without `automaticTransitionFromOpenToHalfOpenEnabled`: no timer runs while nobody calls).
 * - **half-open**: `halfOpenCalls` trial calls pass, the rest are refused; once the trials have
 *   all completed, their failure or slow rate at or above the threshold opens the breaker
 *   again, otherwise it closes with an empty window.
 *
 * Which failures count is `isFailure` (for Flowboard: transient infrastructure failures;
 * domain errors and permanent database errors mean the database answered, so they count as
 * successes, as resilience4j counts exceptions its record predicate rejects). An interruption
 * counts as nothing (resilience4j's ignored exceptions), and gives its half-open permit back.
 * A call is slow when it took `slowCallDuration` or longer, whatever its outcome.
 *
 * Where it differs from resilience4j: no forced-open/disabled states and no
 * `maxWaitDurationInHalfOpenState`; the slow-call rate in half-open is judged like the failure
 * rate. Time is Effect's `Clock`, so tests drive the breaker with `TestClock`.
 *
 * Per call: two clock reads and a few field updates in one synchronous step, a few Effect nodes
 * around the call, no span (measured at about 0.06 ms of CPU per by-id request, docs/resilience.md).
 */
import { Cause, Chunk, Clock, Data, Duration, Effect, Exit, Metric, MetricLabel } from "effect"


export type CircuitState = "closed" | "open" | "half-open"

export class CircuitOpenError extends Data.TaggedError("CircuitOpenError")<{
  readonly breaker: string
  /** How long until the breaker lets a trial call through (at least one second). */
  readonly retryAfter: Duration.Duration
}> {
  override get message() {
    return `circuit ${this.breaker} is open; retry in ${Math.ceil(Duration.toSeconds(this.retryAfter))} s`
  }
}

export interface CircuitBreakerOptions {
  readonly name: string
  /** `count`: the last `size` calls; `time`: the calls of the last `size` seconds. Default count, 20. */
  readonly window?: { readonly kind: "count" | "time"; readonly size: number }
  /** Calls the window must hold before a rate is judged; default 10. */
  readonly minimumCalls?: number
  /** Percent of failed calls that opens the breaker; default 50. */
  readonly failureRateThreshold?: number
  /** Percent of slow calls that opens the breaker; default 100 (only when every call is slow). */
  readonly slowCallRateThreshold?: number
  /** A call this long or longer is slow; default 10 s. */
  readonly slowCallDuration?: Duration.DurationInput
  /** How long the breaker stays open before a trial; default 10 s. */
  readonly waitInOpen?: Duration.DurationInput
  /** Trial calls in half-open; default 3. */
  readonly halfOpenCalls?: number
  /** Whether a failure counts against the dependency; default every failure. */
  readonly isFailure?: (error: unknown) => boolean
  /**
   * Whether the breaker has its own series of the `flowboard_circuit_*` metrics (default yes).
   * Breakers made per endpoint (webhooks) say no: a label per URL would be unbounded.
   */
  readonly metrics?: boolean
}

export interface CircuitSnapshot {
  readonly name: string
  readonly state: CircuitState
  /** Percentages over the window (closed) or the trial calls (half-open); -1 below `minimumCalls`. */
  readonly failureRate: number
  readonly slowCallRate: number
  readonly calls: number
}

export interface CircuitBreaker {
  readonly name: string
  readonly protect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  readonly state: Effect.Effect<CircuitState>
  readonly snapshot: Effect.Effect<CircuitSnapshot>
}

/** Label `breaker`: 0 closed, 1 half-open, 2 open. */
export const circuitState = Metric.gauge("flowboard_circuit_state", { description: "Circuit breaker state: 0 closed, 1 half-open, 2 open" })
/** Labels `breaker`, `from`, `to`. */
export const circuitTransitions = Metric.counter("flowboard_circuit_transitions_total", {
  description: "Circuit breaker state changes",
  incremental: true
})
/** Label `breaker`. */
export const circuitRejected = Metric.counter("flowboard_circuit_rejected_calls_total", {
  description: "Calls a circuit breaker refused without trying (open, or half-open with its trials taken)",
  incremental: true
})

const stateValue: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 }

/** Outcome bits: 1 failed, 2 slow. */
type Outcome = 0 | 1 | 2 | 3

/** Totals over the window. */
interface Totals {
  calls: number
  failures: number
  slow: number
}

interface Window {
  readonly record: (outcome: Outcome, nowMs: number) => void
  readonly totals: (nowMs: number) => Totals
  readonly reset: () => void
}

const countWindow = (size: number): Window => {
  const ring = new Array<Outcome>(size)
  let next = 0
  let filled = 0
  const totals: Totals = { calls: 0, failures: 0, slow: 0 }
  return {
    record: (outcome) => {
      if (filled === size) {
        const old = ring[next]!
        totals.failures -= old & 1
        totals.slow -= (old & 2) >> 1
      } else {
        filled += 1
        totals.calls += 1
      }
      ring[next] = outcome
      totals.failures += outcome & 1
      totals.slow += (outcome & 2) >> 1
      next = (next + 1) % size
    },
    totals: () => totals,
    reset: () => {
      next = 0
      filled = 0
      totals.calls = totals.failures = totals.slow = 0
    }
  }
}

const timeWindow = (seconds: number): Window => {
  const buckets = Array.from({ length: seconds }, () => ({ second: -1, calls: 0, failures: 0, slow: 0 }))
  const bucketAt = (second: number) => {
    const bucket = buckets[second % seconds]!
    if (bucket.second !== second) {
      bucket.second = second
      bucket.calls = bucket.failures = bucket.slow = 0
    }
    return bucket
  }
  return {
    record: (outcome, nowMs) => {
      const bucket = bucketAt(Math.floor(nowMs / 1000))
      bucket.calls += 1
      bucket.failures += outcome & 1
      bucket.slow += (outcome & 2) >> 1
    },
    totals: (nowMs) => {
      const now = Math.floor(nowMs / 1000)
      const totals: Totals = { calls: 0, failures: 0, slow: 0 }
      for (const bucket of buckets) {
        if (bucket.second > now - seconds && bucket.second <= now) {
          totals.calls += bucket.calls
          totals.failures += bucket.failures
          totals.slow += bucket.slow
        }
      }
      return totals
    },
    reset: () => buckets.forEach((bucket) => (bucket.second = -1))
  }
}

const rate = (part: number, calls: number) => (calls === 0 ? 0 : (part * 100) / calls)

export const make = (options: CircuitBreakerOptions): Effect.Effect<CircuitBreaker> =>
  Effect.gen(function* () {
    const name = options.name
    const windowSpec = options.window ?? { kind: "count", size: 20 }
    const window = windowSpec.kind === "count" ? countWindow(windowSpec.size) : timeWindow(windowSpec.size)
    const minimumCalls = options.minimumCalls ?? 10
    const failureThreshold = options.failureRateThreshold ?? 50
    const slowThreshold = options.slowCallRateThreshold ?? 100
    const slowMs = Duration.toMillis(Duration.decode(options.slowCallDuration ?? Duration.seconds(10)))
    const waitMs = Duration.toMillis(Duration.decode(options.waitInOpen ?? Duration.seconds(10)))
    const trials = options.halfOpenCalls ?? 3
    const isFailure = options.isFailure ?? (() => true)

    // The state machine: read and changed only in synchronous steps (no yield in between).
    let state: CircuitState = "closed"
    let openedAt = 0
    let trialsTaken = 0
    const trialTotals: Totals = { calls: 0, failures: 0, slow: 0 }
    const metrics = options.metrics ?? true
    const gauge = Metric.tagged(circuitState, "breaker", name)
    const rejectedCounter = Metric.tagged(circuitRejected, "breaker", name)
    const rejected = metrics ? Metric.increment(rejectedCounter) : Effect.void
    if (metrics) yield* Metric.set(gauge, 0)

    const transition = (to: CircuitState, nowMs: number): Effect.Effect<void> => {
      const from = state
      state = to
      if (to === "open") openedAt = nowMs
      if (to === "half-open") {
        trialsTaken = 0
        trialTotals.calls = trialTotals.failures = trialTotals.slow = 0
      }
      if (to === "closed") window.reset()
      const logged = Effect.logWarning(`circuit ${name}: ${from} → ${to}`)
      if (!metrics) return logged
      return Effect.zipRight(
        Metric.set(gauge, stateValue[to]),
        Effect.zipRight(
          Metric.increment(Metric.taggedWithLabels(circuitTransitions, [MetricLabel.make("breaker", name), MetricLabel.make("from", from), MetricLabel.make("to", to)])),
          logged
        )
      )
    }

    const tripped = (totals: Totals) =>
      totals.calls >= minimumCalls && (rate(totals.failures, totals.calls) >= failureThreshold || rate(totals.slow, totals.calls) >= slowThreshold)

    /** Whether the call may go ahead, and whether it is a half-open trial. */
    const admit = (nowMs: number): Effect.Effect<boolean, CircuitOpenError> =>
      Effect.suspend(() => {
        if (state === "open") {
          const left = openedAt + waitMs - nowMs
          if (left > 0) {
            return Effect.zipRight(
              rejected,
              Effect.fail(new CircuitOpenError({ breaker: name, retryAfter: Duration.millis(Math.max(1000, left)) }))
            )
          }
          return Effect.zipRight(transition("half-open", nowMs), admit(nowMs))
        }
        if (state === "half-open") {
          if (trialsTaken >= trials) {
            return Effect.zipRight(
              rejected,
              Effect.fail(new CircuitOpenError({ breaker: name, retryAfter: Duration.seconds(1) }))
            )
          }
          trialsTaken += 1
          return Effect.succeed(true)
        }
        return Effect.succeed(false)
      })

    const settle = (trial: boolean, outcome: Outcome | "ignored", nowMs: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (trial) {
          // A trial that ended after the breaker moved on (another trial re-opened it) is stale.
          if (state !== "half-open") return Effect.void
          if (outcome === "ignored") {
            trialsTaken -= 1
            return Effect.void
          }
          trialTotals.calls += 1
          trialTotals.failures += outcome & 1
          trialTotals.slow += (outcome & 2) >> 1
          if (trialTotals.calls < trials) return Effect.void
          const failed = rate(trialTotals.failures, trialTotals.calls) >= failureThreshold || rate(trialTotals.slow, trialTotals.calls) >= slowThreshold
          return transition(failed ? "open" : "closed", nowMs)
        }
        if (outcome === "ignored" || state !== "closed") return Effect.void
        window.record(outcome, nowMs)
        return tripped(window.totals(nowMs)) ? transition("open", nowMs) : Effect.void
      })

    const protect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
      Effect.flatMap(Clock.currentTimeMillis, (start) =>
        Effect.flatMap(admit(start), (trial) =>
          Effect.onExit(effect, (exit) =>
            Effect.flatMap(Clock.currentTimeMillis, (end) => {
              if (Exit.isInterrupted(exit)) return settle(trial, "ignored", end)
              const failed = Exit.isFailure(exit) && failedBy(exit.cause, isFailure)
              const slow = end - start >= slowMs
              return settle(trial, ((failed ? 1 : 0) | (slow ? 2 : 0)) as Outcome, end)
            })
          )))

    // As the outside sees it: an open breaker whose wait is over lets the next call through, so
    // it reads as half-open already (readiness must not keep away the calls that would close it).
    const effective = (now: number): CircuitState => (state === "open" && now - openedAt >= waitMs ? "half-open" : state)

    const snapshot = Effect.map(Clock.currentTimeMillis, (now): CircuitSnapshot => {
      const totals = state === "half-open" ? trialTotals : window.totals(now)
      const judged = state === "half-open" ? totals.calls > 0 : totals.calls >= minimumCalls
      return {
        name,
        state: effective(now),
        failureRate: judged ? Math.round(rate(totals.failures, totals.calls) * 10) / 10 : -1,
        slowCallRate: judged ? Math.round(rate(totals.slow, totals.calls) * 10) / 10 : -1,
        calls: totals.calls
      }
    })

    return { name, protect, state: Effect.map(Clock.currentTimeMillis, effective), snapshot }
  })

/** Whether a failed call counts against the dependency: one of its failures does (defects, bugs, do not). */
const failedBy = (cause: Cause.Cause<unknown>, isFailure: (error: unknown) => boolean): boolean => Chunk.some(Cause.failures(cause), isFailure)
