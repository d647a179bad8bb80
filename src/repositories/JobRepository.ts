import { Context, type DateTime, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { Job, JobId, JobProgress } from "../domain/Job.js"

/** The lease a runner holds on a running job: only its holder may write the job's outcome. */
export interface Lease {
  readonly id: JobId
  readonly worker: string
}

/**
 * The job queue's storage. Every write to a running job is fenced by its lease (`locked_by`):
 * a runner that lost its job (its lease lapsed and another runner claimed it) gets `false` and
 * must not act on it, so two runners never both record an outcome.
 */
export class JobRepository extends Context.Tag("flowboard/JobRepository")<
  JobRepository,
  {
    /**
     * Stores a queued job, unless a job of the same type with the same idempotency key exists:
     * then that job is returned and nothing is stored (`created: false`).
     */
    readonly enqueue: (job: Job) => Effect.Effect<{ readonly job: Job; readonly created: boolean }, RepositoryError>
    readonly findById: (id: JobId) => Effect.Effect<Option.Option<Job>, RepositoryError>
    /**
     * Claims the next job due at `now` — queued with `runAt <= now`, or running with a lease
     * that lapsed before `now` — in (priority, runAt, id) order, skipping rows another claim
     * holds. The claimed job is running, leased to `worker` until `leaseUntil`, one attempt more.
     */
    readonly claim: (worker: string, now: DateTime.Utc, leaseUntil: DateTime.Utc) => Effect.Effect<Option.Option<Job>, RepositoryError>
    /** Extends the lease; `false` when `worker` no longer holds the job. */
    readonly renew: (lease: Lease, until: DateTime.Utc, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** Progress and the partial result; call it inside the unit of work that did the progress. */
    readonly checkpoint: (lease: Lease, progress: JobProgress, result: unknown, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    readonly succeed: (lease: Lease, result: unknown, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** Back to queued, to run again at `runAt`, keeping the error of the attempt that failed. */
    readonly retry: (lease: Lease, error: string, runAt: DateTime.Utc, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    readonly fail: (lease: Lease, error: string, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** Cancels a job that is still queued; `false` when it is not (running or finished). */
    readonly cancel: (id: JobId, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** Deletes jobs that finished before `before`; returns how many. */
    readonly pruneFinished: (before: DateTime.Utc) => Effect.Effect<number, RepositoryError>
  }
>() {}
