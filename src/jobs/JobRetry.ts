import { Clock, type Duration, Effect, Option, type Schedule } from "effect"
import * as ScheduleDecision from "effect/ScheduleDecision"
import { jobRetry } from "../resilience/RetrySchedules.js"

/**
 * A job's retries outlive the process that failed an attempt, so the schedule cannot simply
 * drive a retry loop in memory: the delay before retry `n` is recomputed from the schedule by
 * stepping it `n` times (cheap: no waiting happens), and stored as the job's next `run_at`.
 * `none` when the schedule gives up before retry `n`.
 */
export const retryDelay = (
  retry: number,
  schedule: Schedule.Schedule<Duration.Duration> = jobRetry
): Effect.Effect<Option.Option<Duration.Duration>> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    // The schedule's state is opaque (`any` in its interface); it only goes back into `step`.
    let state: unknown = schedule.initial
    for (let n = 1; n <= retry; n++) {
      const [next, delay, decision] = yield* schedule.step(now, undefined, state)
      if (ScheduleDecision.isDone(decision)) return Option.none()
      if (n === retry) return Option.some(delay)
      state = next
    }
    return Option.none()
  })

/** `jobRetry` allows 5 retries: a job is attempted at most 6 times, whatever it asks for. */
export const MAX_JOB_ATTEMPTS = 6
