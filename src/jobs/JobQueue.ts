import { DateTime, Deferred, Duration, Effect, FiberRef, Ref, Schema } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import { newId } from "../domain/Ids.js"
import type { UserId } from "../domain/Ids.js"
import { Job, JobId, type JobPriority } from "../domain/Job.js"
import { CurrentRequest } from "../observability/RequestContext.js"
import { JobRepository } from "../repositories/JobRepository.js"
import { MAX_JOB_ATTEMPTS } from "./JobRetry.js"
import type { JobType } from "./JobType.js"

/**
 * Wakes the runners of this process when a job is enqueued, so an idle runner does not wait for
 * its next poll. Runners in other processes find the job when they poll.
 */
export class JobSignal extends Effect.Service<JobSignal>()("flowboard/JobSignal", {
  effect: Effect.gen(function* () {
    const current = yield* Ref.make(yield* Deferred.make<void>())
    return {
      notify: Effect.flatMap(Deferred.make<void>(), (fresh) => Ref.getAndSet(current, fresh)).pipe(
        Effect.flatMap((waiting) => Deferred.succeed(waiting, undefined)),
        Effect.asVoid
      ),
      /** Take it before looking for work and await it after finding none: no wake-up is lost in between. */
      next: Effect.map(Ref.get(current), (deferred) => Deferred.await(deferred))
    } as const
  })
}) {}

export interface EnqueueOptions {
  readonly priority?: JobPriority
  readonly delay?: Duration.DurationInput
  /** Capped at `MAX_JOB_ATTEMPTS`, the bound of the job retry schedule. */
  readonly maxAttempts?: number
  /** A second enqueue of the same type with the same key returns the first job. */
  readonly idempotencyKey?: string
  readonly createdBy?: UserId | null
}

export interface Enqueued {
  readonly job: Job
  /** `false` when the idempotency key found an existing job. */
  readonly created: boolean
}

export class JobQueue extends Effect.Service<JobQueue>()("flowboard/JobQueue", {
  effect: Effect.gen(function* () {
    const repository = yield* JobRepository
    const signal = yield* JobSignal

    const enqueue = <P, PI, R, RI>(type: JobType<P, PI, R, RI>, payload: P, options: EnqueueOptions = {}): Effect.Effect<Enqueued, RepositoryError> =>
      Effect.gen(function* () {
        // A payload its own schema cannot encode is a bug in the caller, not a runtime condition.
        const encoded = yield* Effect.orDie(Schema.encode(type.payload)(payload))
        const now = yield* DateTime.now
        const request = yield* FiberRef.get(CurrentRequest)
        const maxAttempts = Math.min(MAX_JOB_ATTEMPTS, Math.max(1, Math.floor(options.maxAttempts ?? type.defaults.maxAttempts)))
        const result = yield* repository.enqueue(
          new Job({
            id: newId(JobId),
            type: type.name,
            payload: encoded,
            status: "queued",
            priority: options.priority ?? type.defaults.priority,
            runAt: DateTime.addDuration(now, Duration.decode(options.delay ?? Duration.zero)),
            attempts: 0,
            maxAttempts,
            idempotencyKey: options.idempotencyKey ?? null,
            progress: null,
            result: null,
            error: null,
            lockedBy: null,
            lockedUntil: null,
            createdBy: options.createdBy ?? null,
            correlationId: request.correlationId,
            createdAt: now,
            updatedAt: now,
            finishedAt: null
          })
        )
        if (result.created) yield* signal.notify
        return result
      }).pipe(Effect.withSpan("JobQueue.enqueue", { attributes: { "job.type": type.name } }))

    return { enqueue } as const
  })
}) {}
