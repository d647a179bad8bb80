import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Random, Ref, Schedule, TestClock } from "effect"
import { backoff, handlerRetry, infrastructureRetry } from "../../../src/resilience/RetrySchedules.js"

const delaysOf = (schedule: Schedule.Schedule<Duration.Duration>, steps: number) =>
  Schedule.run(schedule, 0, Array.from({ length: steps }, () => undefined)).pipe(
    Effect.map((delays) => Chunk.toReadonlyArray(delays).map(Duration.toMillis))
  )

describe("RetrySchedules", () => {
  it.effect("full jitter: each delay lies in [0, min(cap, base * 2^n)], and the cap holds forever", () =>
    Effect.gen(function* () {
      const delays = yield* delaysOf(backoff({ base: "100 millis", cap: "1 second" }), 40)
      expect(delays).toHaveLength(40)
      delays.forEach((delay, n) => {
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** n))
      })
      // Jitter really spreads: forty draws are not all the same.
      expect(new Set(delays).size).toBeGreaterThan(30)
    }))

  it.effect("equal jitter never goes below half the backoff, so a loop never spins", () =>
    Effect.gen(function* () {
      const delays = yield* delaysOf(infrastructureRetry, 30)
      delays.forEach((delay, n) => {
        const ceiling = Math.min(5000, 100 * 2 ** n)
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
        expect(delay).toBeLessThanOrEqual(ceiling)
      })
    }))

  it.effect("bounded: a failing effect is tried 1 + maxRetries times, on the clock, then fails", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Ref.update(attempts, (n) => n + 1).pipe(
        Effect.zipRight(Effect.fail("boom")),
        Effect.retry(handlerRetry),
        Effect.fork
      )
      yield* TestClock.adjust("1 second")
      expect(yield* Ref.get(attempts)).toBeLessThan(9)
      // 8 retries, none longer than the 30 s cap.
      yield* TestClock.adjust(Duration.seconds(8 * 30))
      expect(yield* Fiber.join(fiber).pipe(Effect.flip)).toBe("boom")
      expect(yield* Ref.get(attempts)).toBe(9)
    }).pipe(Effect.withRandom(Random.make("retry-schedules"))))
})
