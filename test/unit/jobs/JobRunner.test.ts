import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Exit, Scope, TestClock } from "effect"
import { JobQueue } from "../../../src/jobs/JobQueue.js"
import { makeRunner } from "../../../src/jobs/JobRunner.js"
import { JobRepository } from "../../../src/repositories/JobRepository.js"
import { Broken, Echo, eventually, Flaky, JobsTest, jobNow, options, Slow, untilDue } from "./Support.js"

/** Closes the scope (the runner's shutdown) while the clock moves on in steps; returns how long it took. */
const closeWhileTimePasses = (scope: Scope.CloseableScope, step: Duration.DurationInput) =>
  Effect.gen(function* () {
    const started = yield* DateTime.now
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    for (let i = 0; i < 100 && (yield* closing.poll)._tag === "None"; i++) yield* TestClock.adjust(step)
    yield* closing.await
    return DateTime.distance(started, yield* DateTime.now)
  })

describe("JobRunner", () => {
  it.scoped("runs an enqueued job at once (the enqueue wakes it) and records the result", () =>
    Effect.gen(function* () {
      yield* makeRunner(options("w1", { pollInterval: "1 hour" }))
      const queue = yield* JobQueue
      const { job } = yield* queue.enqueue(Echo, { text: "hello" })
      const done = yield* eventually(job.id, (j) => j.status === "succeeded")
      expect(done).toMatchObject({ result: { text: "HELLO" }, attempts: 1, error: null, lockedBy: null })
      expect(done.finishedAt).not.toBeNull()
    }).pipe(Effect.provide(JobsTest))
  )

  it.scoped("retries a failing job after a backoff delay, then succeeds", () =>
    Effect.gen(function* () {
      yield* makeRunner(options("w1"))
      const queue = yield* JobQueue
      const { job } = yield* queue.enqueue(Flaky, { failures: 2 })
      let current = yield* eventually(job.id, (j) => j.status === "queued" && j.attempts === 1, "its first retry")
      expect(current.error).toBe("attempt 1 failed")
      // Full jitter: the first retry waits between 0 and the 1 s base of `jobRetry`.
      const start = yield* DateTime.now
      expect(DateTime.distance(start, current.runAt)).toBeLessThanOrEqual(1000)
      yield* untilDue(current)
      current = yield* eventually(job.id, (j) => j.status === "queued" && j.attempts === 2, "its second retry")
      expect(DateTime.distance(yield* DateTime.now, current.runAt)).toBeLessThanOrEqual(2000)
      yield* untilDue(current)
      const done = yield* eventually(job.id, (j) => j.status === "succeeded")
      expect(done).toMatchObject({ attempts: 3, result: { attempt: 3 } })
    }).pipe(Effect.provide(JobsTest))
  )

  it.scoped("marks a job failed with the last error once its attempts are spent", () =>
    Effect.gen(function* () {
      yield* makeRunner(options("w1"))
      const queue = yield* JobQueue
      const { job } = yield* queue.enqueue(Flaky, { failures: 99 }, { maxAttempts: 3 })
      for (let attempt = 1; attempt < 3; attempt++) {
        yield* untilDue(yield* eventually(job.id, (j) => j.status === "queued" && j.attempts === attempt))
      }
      const failed = yield* eventually(job.id, (j) => j.status === "failed")
      expect(failed).toMatchObject({ attempts: 3, error: "attempt 3 failed", lockedBy: null })
    }).pipe(Effect.provide(JobsTest))
  )

  it.scoped("fails a job at once on a failure that is not retryable", () =>
    Effect.gen(function* () {
      yield* makeRunner(options("w1"))
      const { job } = yield* Effect.flatMap(JobQueue, (q) => q.enqueue(Broken, {}))
      expect(yield* eventually(job.id, (j) => j.status === "failed")).toMatchObject({ attempts: 1, error: "the input is wrong" })
    }).pipe(Effect.provide(JobsTest))
  )

  it.scoped("does not run a delayed job before its time", () =>
    Effect.gen(function* () {
      yield* makeRunner(options("w1"))
      const { job } = yield* Effect.flatMap(JobQueue, (q) => q.enqueue(Echo, { text: "later" }, { delay: "1 minute" }))
      yield* TestClock.adjust("59 seconds")
      expect((yield* jobNow(job.id)).status).toBe("queued")
      yield* TestClock.adjust("2 seconds")
      yield* eventually(job.id, (j) => j.status === "succeeded")
    }).pipe(Effect.provide(JobsTest))
  )

  it.effect("an idempotency key makes a second enqueue return the first job", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const first = yield* queue.enqueue(Echo, { text: "a" }, { idempotencyKey: "k1" })
      const second = yield* queue.enqueue(Echo, { text: "b" }, { idempotencyKey: "k1" })
      const otherType = yield* queue.enqueue(Flaky, { failures: 0 }, { idempotencyKey: "k1" })
      expect([first.created, second.created, otherType.created]).toEqual([true, false, true])
      expect(second.job.id).toBe(first.job.id)
      expect(second.job.payload).toEqual({ text: "a" })
      expect(otherType.job.id).not.toBe(first.job.id)
    }).pipe(Effect.provide(JobsTest))
  )

  it.effect("claims by priority, then by due time", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const jobs = yield* JobRepository
      const low = yield* queue.enqueue(Echo, { text: "low" }, { priority: "low" })
      const early = yield* queue.enqueue(Echo, { text: "default" })
      yield* TestClock.adjust("1 second")
      const high = yield* queue.enqueue(Echo, { text: "high" }, { priority: "high" })
      const late = yield* queue.enqueue(Echo, { text: "default, later" })
      const now = yield* DateTime.now
      const order = []
      for (let i = 0; i < 5; i++) {
        const claimed = yield* jobs.claim("w", now, DateTime.add(now, { seconds: 30 }))
        if (claimed._tag === "Some") order.push(claimed.value.id)
      }
      expect(order).toEqual([high.job.id, early.job.id, late.job.id, low.job.id])
    }).pipe(Effect.provide(JobsTest))
  )

  it.scoped("a job whose worker died is claimed again once its lease expires, and the dead worker cannot record an outcome", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const jobs = yield* JobRepository
      const { job } = yield* queue.enqueue(Echo, { text: "orphan" })
      // The "dead" worker claims the job and never finishes it.
      const now = yield* DateTime.now
      const claimed = yield* jobs.claim("dead", now, DateTime.add(now, { seconds: 30 }))
      expect(claimed._tag).toBe("Some")
      yield* makeRunner(options("alive", { lease: "30 seconds" }))
      yield* TestClock.adjust("29 seconds")
      expect(yield* jobNow(job.id)).toMatchObject({ status: "running", lockedBy: "dead" })
      yield* TestClock.adjust("2 seconds")
      const done = yield* eventually(job.id, (j) => j.status === "succeeded")
      expect(done).toMatchObject({ attempts: 2, result: { text: "ORPHAN" } })
      const lease = { id: job.id, worker: "dead" }
      expect(yield* jobs.succeed(lease, { text: "late" }, yield* DateTime.now)).toBe(false)
      expect((yield* jobNow(job.id)).result).toEqual({ text: "ORPHAN" })
    }).pipe(Effect.provide(JobsTest))
  )

  it.effect("on shutdown stops claiming and lets the running job finish within the grace period", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const scope = yield* Scope.make()
      yield* Scope.extend(makeRunner(options("w1", { shutdownGrace: "10 seconds" })), scope)
      const { job: slow } = yield* queue.enqueue(Slow, { millis: 3000 })
      yield* eventually(slow.id, (j) => j.status === "running")
      const { job: next } = yield* queue.enqueue(Echo, { text: "after shutdown" })
      // The job needed 3 s of its 10 s grace: shutdown waited for it, and no longer.
      expect(yield* closeWhileTimePasses(scope, "500 millis")).toBeLessThanOrEqual(3500)
      expect((yield* jobNow(slow.id)).status).toBe("succeeded")
      expect((yield* jobNow(next.id)).status).toBe("queued")
    }).pipe(Effect.provide(JobsTest))
  )

  it.effect("on shutdown leaves a job that outlasts the grace period to lease expiry", () =>
    Effect.gen(function* () {
      const queue = yield* JobQueue
      const scope = yield* Scope.make()
      yield* Scope.extend(makeRunner(options("w1", { shutdownGrace: "2 seconds" })), scope)
      const { job } = yield* queue.enqueue(Slow, { millis: 60_000 })
      yield* eventually(job.id, (j) => j.status === "running")
      const waited = yield* closeWhileTimePasses(scope, "500 millis")
      expect(waited >= 2000 && waited <= 2500).toBe(true)
      expect(yield* jobNow(job.id)).toMatchObject({ status: "running", lockedBy: "w1", attempts: 1 })
    }).pipe(Effect.provide(JobsTest))
  )
})
