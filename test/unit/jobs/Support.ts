import { DateTime, Duration, Effect, Layer, Option, Schema, TestClock } from "effect"
import type { Job, JobId } from "../../../src/domain/Job.js"
import { JobQueue, JobSignal } from "../../../src/jobs/JobQueue.js"
import type { RunnerOptions } from "../../../src/jobs/JobRunner.js"
import { handle, JobFailure, JobHandlers, jobType } from "../../../src/jobs/JobType.js"
import { MemoryRepositoriesLive } from "../../../src/repositories/memory/index.js"
import { JobRepository } from "../../../src/repositories/JobRepository.js"

/** Job types for the runner's specification: one that works, one that fails a given number of times, one that never works. */
export const Echo = jobType("test.echo", { payload: Schema.Struct({ text: Schema.String }), result: Schema.Struct({ text: Schema.String }) })
export const Flaky = jobType(
  "test.flaky",
  { payload: Schema.Struct({ failures: Schema.Int }), result: Schema.Struct({ attempt: Schema.Int }) },
  { maxAttempts: 4 }
)
export const Broken = jobType("test.broken", { payload: Schema.Struct({}), result: Schema.Struct({}) })
/** Runs until the clock passes `until` (ms), so a test can hold a job in flight. */
export const Slow = jobType("test.slow", { payload: Schema.Struct({ millis: Schema.Int }), result: Schema.Struct({ done: Schema.Boolean }) })

export const TestHandlers = Layer.succeed(
  JobHandlers,
  JobHandlers.from([
    handle(Echo, (payload) => Effect.succeed({ text: payload.text.toUpperCase() })),
    handle(Flaky, (payload, { job }) =>
      job.attempts <= payload.failures
        ? Effect.fail(new JobFailure({ message: `attempt ${job.attempts} failed`, retryable: true }))
        : Effect.succeed({ attempt: job.attempts })
    ),
    handle(Broken, () => Effect.fail(new JobFailure({ message: "the input is wrong", retryable: false }))),
    handle(Slow, (payload) => Effect.as(Effect.sleep(Duration.millis(payload.millis)), { done: true }))
  ])
)

/** Queue, signal and handlers over fresh in-memory repositories; runners are started by the tests. */
export const JobsTest = JobQueue.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(JobSignal.Default, TestHandlers)),
  Layer.provideMerge(MemoryRepositoriesLive)
)

export const options = (workerId: string, overrides: Partial<RunnerOptions> = {}): RunnerOptions => ({
  workerId,
  pollInterval: "1 second",
  lease: "30 seconds",
  concurrency: 1,
  shutdownGrace: "5 seconds",
  ...overrides
})

export const jobNow = (id: JobId) =>
  Effect.flatMap(JobRepository, (jobs) => jobs.findById(id)).pipe(
    Effect.orDie,
    Effect.flatMap((job) => (Option.isSome(job) ? Effect.succeed(job.value) : Effect.dieMessage(`no job ${id}`)))
  )

/** Lets the runner's fibers work (no clock moves) until the job satisfies `done`. */
export const eventually = (id: JobId, done: (job: Job) => boolean, what = "the expected state") =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      const job = yield* jobNow(id)
      if (done(job)) return job
      yield* Effect.yieldNow()
    }
    const job = yield* jobNow(id)
    return yield* Effect.dieMessage(`job ${id} did not reach ${what}: ${job.status}, attempts ${job.attempts}, error ${job.error}`)
  })

/** Moves the test clock to the job's `runAt` (its retry time) and a poll interval beyond. */
export const untilDue = (job: Job) =>
  Effect.gen(function* () {
    const now = yield* DateTime.now
    const wait = DateTime.distance(now, job.runAt)
    yield* TestClock.adjust(Duration.sum(Duration.millis(Math.max(0, wait)), Duration.seconds(1)))
  })
