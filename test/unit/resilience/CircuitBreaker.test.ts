import { describe, expect, it } from "@effect/vitest"
import { Data, Duration, Effect, Fiber, Metric, TestClock } from "effect"
import { circuitRejected, circuitState, type CircuitBreakerOptions, make } from "../../../src/resilience/CircuitBreaker.js"

class Down extends Data.TaggedError("Down")<{}> {}
class NotFound extends Data.TaggedError("NotFound")<{}> {}

let names = 0
const breaker = (options: Partial<CircuitBreakerOptions> = {}) =>
  make({
    name: `test-${(names += 1)}`,
    window: { kind: "count", size: 10 },
    minimumCalls: 4,
    failureRateThreshold: 50,
    waitInOpen: "10 seconds",
    halfOpenCalls: 2,
    isFailure: (error) => error instanceof Down,
    ...options
  })

const ok = Effect.void
const down = Effect.fail(new Down())
const run = <E>(protect: (e: Effect.Effect<void, E>) => Effect.Effect<void, unknown>, effect: Effect.Effect<void, E>, times = 1) =>
  Effect.forEach(Array.from({ length: times }), () => Effect.either(protect(effect)), { discard: true })

describe("CircuitBreaker", () => {
  it.effect("opens once the window holds the minimum of calls at the failure rate; not before", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, down, 3)
      expect(yield* b.state).toBe("closed") // 3 of 3 failed, below the minimum of 4
      // The fourth call, a success, makes the window judgeable: 3 of 4 failed, 75 % ≥ 50 %.
      yield* run(b.protect, ok, 1)
      expect(yield* b.state).toBe("open")
      expect((yield* b.snapshot).failureRate).toBe(75)
    }))

  it.effect("stays closed below the failure rate, and failures that do not count never open it", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, ok, 6)
      yield* run(b.protect, down, 4) // 4 of 10 = 40 %
      expect(yield* b.state).toBe("closed")
      const c = yield* breaker()
      yield* run(c.protect, Effect.fail(new NotFound()), 20) // the dependency answered: not its failure
      expect(yield* c.state).toBe("closed")
      expect((yield* c.snapshot).failureRate).toBe(0)
    }))

  it.effect("open: refuses at once with the time left, counts the refusals, and lets a trial through after the wait", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, down, 4)
      expect(yield* b.state).toBe("open")
      let tried = 0
      yield* TestClock.adjust("4 seconds")
      const refused = yield* Effect.flip(b.protect(Effect.sync(() => (tried += 1))))
      expect(refused._tag).toBe("CircuitOpenError")
      expect(Duration.toMillis(refused.retryAfter)).toBe(6_000)
      expect(tried).toBe(0)
      expect((yield* Metric.value(Metric.tagged(circuitRejected, "breaker", b.name))).count).toBe(1)
      expect((yield* Metric.value(Metric.tagged(circuitState, "breaker", b.name))).value).toBe(2)

      yield* TestClock.adjust("6 seconds")
      yield* b.protect(Effect.sync(() => (tried += 1)))
      expect(tried).toBe(1)
      expect(yield* b.state).toBe("half-open")
      expect((yield* Metric.value(Metric.tagged(circuitState, "breaker", b.name))).value).toBe(1)
    }))

  it.effect("half-open: exactly the trial calls run at once; they close it when they succeed", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, down, 4)
      yield* TestClock.adjust("10 seconds")
      // Two trials in flight (each waits a second), a third is refused meanwhile.
      const trials = yield* Effect.forEach([1, 2], () => Effect.fork(b.protect(Effect.sleep("1 second"))))
      yield* Effect.yieldNow()
      const third = yield* Effect.flip(b.protect(ok))
      expect(third._tag).toBe("CircuitOpenError")
      yield* TestClock.adjust("1 second")
      yield* Effect.forEach(trials, Fiber.join)
      expect(yield* b.state).toBe("closed")
      expect((yield* Metric.value(Metric.tagged(circuitState, "breaker", b.name))).value).toBe(0)
      // Closed with an empty window: the old failures are forgotten.
      yield* run(b.protect, down, 3)
      expect(yield* b.state).toBe("closed")
    }))

  it.effect("half-open: failing trials open it again for another wait", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, down, 4)
      yield* TestClock.adjust("10 seconds")
      yield* run(b.protect, down, 2)
      expect(yield* b.state).toBe("open")
      const refused = yield* Effect.flip(b.protect(ok))
      expect(Duration.toMillis(refused.retryAfter)).toBe(10_000)
    }))

  it.effect("an interrupted trial counts as nothing and gives its permit back", () =>
    Effect.gen(function* () {
      const b = yield* breaker()
      yield* run(b.protect, down, 4)
      yield* TestClock.adjust("10 seconds")
      const stuck = yield* Effect.fork(b.protect(Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(stuck)
      yield* run(b.protect, ok, 2)
      expect(yield* b.state).toBe("closed")
    }))

  it.effect("slow calls open it at the slow-call rate, whatever their outcome", () =>
    Effect.gen(function* () {
      const b = yield* breaker({ slowCallDuration: "2 seconds", slowCallRateThreshold: 50 })
      const slow = yield* Effect.forEach([1, 2, 3, 4], () => Effect.fork(b.protect(Effect.sleep("3 seconds"))))
      yield* TestClock.adjust("3 seconds")
      yield* Effect.forEach(slow, Fiber.join)
      expect(yield* b.state).toBe("open")
      expect((yield* b.snapshot).slowCallRate).toBe(100)
    }))

  it.effect("a time-based window forgets what is older than its seconds", () =>
    Effect.gen(function* () {
      const b = yield* breaker({ window: { kind: "time", size: 5 } })
      yield* run(b.protect, down, 3)
      yield* TestClock.adjust("6 seconds")
      yield* run(b.protect, ok, 1)
      yield* run(b.protect, down, 1)
      // 1 failure of 2 in the window: below the minimum of 4, the three old failures are gone.
      expect(yield* b.state).toBe("closed")
      expect((yield* b.snapshot).calls).toBe(2)
      yield* run(b.protect, down, 2)
      expect(yield* b.state).toBe("open")
    }))
})
