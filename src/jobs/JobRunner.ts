import { Cause, Config, DateTime, Duration, Effect, Exit, Fiber, FiberSet, Layer, Metric, Option, type Scope } from "effect"
import { hostname } from "node:os"
import type { RepositoryError } from "../domain/Errors.js"
import type { Job } from "../domain/Job.js"
import { withRequest } from "../observability/RequestContext.js"
import { JobRepository, type Lease } from "../repositories/JobRepository.js"
import { JobSignal } from "./JobQueue.js"
import { retryDelay } from "./JobRetry.js"
import { JobFailure, JobHandlers, type RawJobContext } from "./JobType.js"

export interface RunnerOptions {
  /** Names this runner in `locked_by`; unique per process. */
  readonly workerId: string
  /** How often an idle runner looks for due jobs (an enqueue in this process wakes it at once). */
  readonly pollInterval: Duration.DurationInput
  /** How long a claim holds a job; renewed every third of it while the job runs. */
  readonly lease: Duration.DurationInput
  readonly concurrency: number
  /** On shutdown, how long running jobs may take to finish before they are left to lease expiry. */
  readonly shutdownGrace: Duration.DurationInput
}

export const RunnerConfig = Config.all({
  workerId: Config.succeed(`${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`),
  pollInterval: Config.duration("JOBS_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  lease: Config.duration("JOBS_LEASE").pipe(Config.withDefault(Duration.seconds(60))),
  concurrency: Config.integer("JOBS_CONCURRENCY").pipe(Config.withDefault(2)),
  shutdownGrace: Config.duration("JOBS_SHUTDOWN_GRACE").pipe(Config.withDefault(Duration.seconds(10)))
})

const jobsFinished = Metric.counter("flowboard_jobs_finished_total", { description: "Job attempts by outcome", incremental: true })

type Outcome = "succeeded" | "retried" | "failed" | "lost"

/** What an attempt's failure means for the job, and the message its creator sees. */
const classify = (cause: Cause.Cause<JobFailure | RepositoryError>): { readonly retryable: boolean; readonly message: string } =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => ({ retryable: true, message: "an internal error interrupted the job" }),
    onSome: (error) =>
      error._tag === "JobFailure"
        ? { retryable: error.retryable, message: error.message }
        : { retryable: error.transient, message: error.transient ? "a dependency was unavailable" : "an internal error stopped the job" }
  })

export const makeRunner = (options: RunnerOptions): Effect.Effect<void, never, Scope.Scope | JobRepository | JobHandlers | JobSignal> =>
  Effect.gen(function* () {
    const repository = yield* JobRepository
    const handlers = yield* JobHandlers
    const signal = yield* JobSignal
    const worker = options.workerId
    const lease = Duration.decode(options.lease)
    const permits = yield* Effect.makeSemaphore(Math.max(1, options.concurrency))
    const running = yield* FiberSet.make<void, never>()

    const record = (job: Job, outcome: Outcome) => Metric.update(jobsFinished.pipe(Metric.tagged("type", job.type), Metric.tagged("outcome", outcome)), 1)

    // The heartbeat ends only when the lease is lost: another runner has the job now.
    const heartbeat = (held: Lease) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        return yield* repository.renew(held, DateTime.addDuration(now, lease), now).pipe(Effect.orElseSucceed(() => true))
      }).pipe(Effect.delay(Duration.divide(lease, 3).pipe(Option.getOrElse(() => lease))), Effect.repeat({ while: (stillHeld) => stillHeld }))

    const settle = (job: Job, held: Lease, exit: Exit.Exit<unknown, JobFailure | RepositoryError>) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        if (Exit.isSuccess(exit)) {
          yield* repository.succeed(held, exit.value, now)
          return "succeeded" as const
        }
        const { message, retryable } = classify(exit.cause)
        yield* Effect.logWarning(`job attempt ${job.attempts} failed`).pipe(Effect.annotateLogs("cause", Cause.pretty(exit.cause)))
        const delay = retryable && job.attempts < job.maxAttempts ? yield* retryDelay(job.attempts) : Option.none()
        if (Option.isSome(delay)) {
          yield* repository.retry(held, message, DateTime.addDuration(now, delay.value), now)
          return "retried" as const
        }
        yield* repository.fail(held, message, now)
        return "failed" as const
      })

    const attempt = (job: Job) =>
      Effect.gen(function* () {
        const held: Lease = { id: job.id, worker }
        const now = yield* DateTime.now
        const handler = handlers.get(job.type)
        if (job.attempts > job.maxAttempts || handler === undefined) {
          const why = handler === undefined ? `no handler for job type ${job.type}` : "the runner of its last attempt stopped before finishing it"
          yield* repository.fail(held, why, now)
          return "failed" as const
        }
        const context: RawJobContext = {
          checkpoint: (progress, partial) =>
            Effect.flatMap(DateTime.now, (at) => repository.checkpoint(held, progress, partial, at)).pipe(
              Effect.filterOrFail((stillHeld) => stillHeld, () => new JobFailure({ message: "the job was taken over by another runner", retryable: false })),
              Effect.asVoid
            )
        }
        const run = handler.run(job, context).pipe(withRequest({ correlationId: job.correlationId, traceparent: null, causationId: job.id }))
        const raced = yield* Effect.raceFirst(Effect.map(Effect.exit(run), Option.some), Effect.as(heartbeat(held), Option.none()))
        if (Option.isNone(raced)) return "lost" as const
        return yield* settle(job, held, raced.value)
      }).pipe(
        Effect.tap((outcome) => record(job, outcome)),
        Effect.catchAllCause((cause) => Effect.logError("job bookkeeping failed; the lease will expire", cause)),
        Effect.annotateLogs({ jobId: job.id, jobType: job.type }),
        Effect.withSpan("JobRunner.attempt", { attributes: { "job.id": job.id, "job.type": job.type, "job.attempt": job.attempts } })
      )

    // Claim and fork together, so a claimed job is never dropped between the two.
    const claimAndFork = Effect.uninterruptible(
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const claimed = yield* repository.claim(worker, now, DateTime.addDuration(now, lease))
        if (Option.isNone(claimed)) return false
        // A fiber forked here would inherit this region's uninterruptibility: give it back.
        yield* FiberSet.run(running, Effect.ensuring(Effect.interruptible(attempt(claimed.value)), permits.release(1)))
        return true
      })
    )

    const tick = Effect.gen(function* () {
      const wake = yield* signal.next
      yield* permits.take(1)
      const claimed = yield* claimAndFork.pipe(
        Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("claiming a job failed", cause), false))
      )
      if (!claimed) {
        yield* permits.release(1)
        yield* Effect.raceFirst(wake, Effect.sleep(options.pollInterval))
      }
    })

    const loop = yield* Effect.forkScoped(Effect.forever(tick).pipe(Effect.annotateLogs("worker", worker)))

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Fiber.interrupt(loop)
        const inFlight = yield* FiberSet.size(running)
        if (inFlight === 0) return
        yield* Effect.logInfo(`waiting for ${inFlight} running job(s) to finish`)
        // Finalizers run uninterruptibly: the wait must be made interruptible for the timeout to end it.
        const drained = yield* Effect.timeoutOption(Effect.interruptible(FiberSet.awaitEmpty(running)), options.shutdownGrace)
        if (Option.isNone(drained)) yield* Effect.logWarning("shutdown grace elapsed: running jobs are left to lease expiry")
      })
    )
  })

/** A runner layer with explicit options (tests, several runners in one process). */
export const jobRunner = (options: RunnerOptions) => Layer.scopedDiscard(makeRunner(options))

/** The runner as configured by `JOBS_*` settings. */
export const JobRunnerLive = Layer.scopedDiscard(Effect.flatMap(RunnerConfig, makeRunner))
