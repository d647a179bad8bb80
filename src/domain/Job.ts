import { Schema } from "effect"
import { UserId } from "./Ids.js"
import { Timestamp } from "./Model.js"

/**
 * Background jobs: a typed unit of work (`type`, JSON `payload`) that a runner claims, runs,
 * retries and finishes. Payload and result are stored as JSON; the job type's schemas give them
 * their types (see `src/jobs/JobType.ts`).
 */
export const JobId = Schema.UUID.pipe(Schema.brand("JobId"))
export type JobId = typeof JobId.Type

export const JobStatus = Schema.Literal("queued", "running", "succeeded", "failed", "cancelled")
export type JobStatus = typeof JobStatus.Type

export const JobPriority = Schema.Literal("high", "default", "low")
export type JobPriority = typeof JobPriority.Type

/** Claim order: a smaller rank is claimed first. */
export const priorityRank: Readonly<Record<JobPriority, number>> = { high: 0, default: 1, low: 2 }

export class JobProgress extends Schema.Class<JobProgress>("JobProgress")({
  done: Schema.Int.pipe(Schema.nonNegative()),
  total: Schema.Int.pipe(Schema.nonNegative())
}) {}

export class Job extends Schema.Class<Job>("Job")({
  id: JobId,
  type: Schema.String,
  /** The payload as its job type encodes it (JSON). */
  payload: Schema.Unknown,
  status: JobStatus,
  priority: JobPriority,
  runAt: Timestamp,
  attempts: Schema.Int,
  maxAttempts: Schema.Int,
  idempotencyKey: Schema.NullOr(Schema.String),
  progress: Schema.NullOr(JobProgress),
  /** The (partial, while running) result as its job type encodes it; `null` before any. */
  result: Schema.Unknown,
  error: Schema.NullOr(Schema.String),
  lockedBy: Schema.NullOr(Schema.String),
  lockedUntil: Schema.NullOr(Timestamp),
  createdBy: Schema.NullOr(UserId),
  /** The request that enqueued the job: its events carry this correlation id. */
  correlationId: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Schema.NullOr(Timestamp)
}) {}

export const isFinished = (status: JobStatus): boolean => status === "succeeded" || status === "failed" || status === "cancelled"

/** What `GET /api/v1/jobs/{id}` shows: never the payload (an import's may be megabytes). */
export const JobView = Schema.Struct({
  id: JobId,
  type: Schema.String,
  status: JobStatus,
  priority: JobPriority,
  progress: Schema.NullOr(JobProgress),
  result: Schema.Unknown,
  error: Schema.NullOr(Schema.String),
  attempts: Schema.Int,
  maxAttempts: Schema.Int,
  runAt: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Schema.NullOr(Timestamp)
}).annotations({ identifier: "Job" })
export type JobView = typeof JobView.Type

export const toView = (job: Job): JobView => ({
  id: job.id,
  type: job.type,
  status: job.status,
  priority: job.priority,
  progress: job.progress,
  result: job.result,
  error: job.error,
  attempts: job.attempts,
  maxAttempts: job.maxAttempts,
  runAt: job.runAt,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  finishedAt: job.finishedAt
})

/** The answer to a request that started a job (`202 Accepted`): poll `location` for its outcome. */
export const JobAccepted = Schema.Struct({
  jobId: JobId,
  status: JobStatus,
  location: Schema.String
}).annotations({ identifier: "JobAccepted" })
export type JobAccepted = typeof JobAccepted.Type

export const accepted = (job: Job): JobAccepted => ({ jobId: job.id, status: job.status, location: `/api/v1/jobs/${job.id}` })
