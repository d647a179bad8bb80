import { SqlClient } from "@effect/sql"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { Job, JobProgress } from "../../domain/Job.js"
import { type Lease, JobRepository } from "../JobRepository.js"
import { decodeCount, NullableTimestamp, Timestamp, traced } from "./SqlSupport.js"

/**
 * JSON columns travel as text both ways, as the outbox payload does: the client's result-name
 * transform would otherwise rewrite the keys inside them.
 */
const JsonText = Schema.parseJson(Schema.Unknown)
const JobRow = Schema.Struct({
  ...Job.fields,
  payload: JsonText,
  progress: Schema.NullOr(Schema.parseJson(JobProgress)),
  result: Schema.NullOr(JsonText),
  runAt: Timestamp,
  lockedUntil: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: NullableTimestamp
})
const JobFromRow = Schema.transform(JobRow, Schema.typeSchema(Job), {
  strict: true,
  decode: (row) => new Job(row, true),
  encode: (job) => job
})
const decodeJobs = Schema.decodeUnknown(Schema.Array(JobFromRow))
const encodeJob = Schema.encode(JobFromRow)
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value))

export const SqlJobRepositoryLive = Layer.effect(
  JobRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.literal(
      `id, type, payload::text AS payload, status, priority, run_at, attempts, max_attempts, idempotency_key,
       progress::text AS progress, result::text AS result, error, locked_by, locked_until, created_by,
       correlation_id, created_at, updated_at, finished_at`
    )
    const first = (rows: ReadonlyArray<unknown>) => Effect.map(decodeJobs(rows), (jobs) => Option.fromNullable(jobs[0]))
    const at = DateTime.toDateUtc
    const finish = (lease: Lease, status: "succeeded" | "failed", result: unknown, error: string | null, now: DateTime.Utc, span: string) =>
      Effect.map(
        sql`UPDATE jobs SET status = ${status}, result = COALESCE(${json(result)}::jsonb, result), error = ${error},
              locked_by = NULL, locked_until = NULL, updated_at = ${at(now)}, finished_at = ${at(now)}
            WHERE id = ${lease.id} AND locked_by = ${lease.worker} AND status = 'running' RETURNING id`,
        (rows) => rows.length > 0
      ).pipe(traced(span))

    return JobRepository.of({
      enqueue: (job) =>
        Effect.gen(function* () {
          const row = yield* encodeJob(job)
          const inserted = yield* sql`INSERT INTO jobs ${sql.insert(row)} ON CONFLICT (type, idempotency_key) DO NOTHING RETURNING id`
          if (inserted.length > 0) return { job, created: true }
          const existing = yield* first(
            yield* sql`SELECT ${columns} FROM jobs WHERE type = ${job.type} AND idempotency_key = ${job.idempotencyKey}`
          )
          return Option.isSome(existing) ? { job: existing.value, created: false } : yield* Effect.dieMessage("jobs: conflict on a key no row holds")
        }).pipe(traced("SqlJobRepository.enqueue")),
      findById: (id) => Effect.flatMap(sql`SELECT ${columns} FROM jobs WHERE id = ${id}`, first).pipe(traced("SqlJobRepository.findById")),
      claim: (worker, now, leaseUntil) =>
        Effect.flatMap(
          sql`UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ${worker},
                locked_until = ${at(leaseUntil)}, updated_at = ${at(now)}
              WHERE id = (
                SELECT id FROM jobs
                WHERE (status = 'queued' AND run_at <= ${at(now)}) OR (status = 'running' AND locked_until < ${at(now)})
                ORDER BY priority_rank, run_at, id
                LIMIT 1 FOR UPDATE SKIP LOCKED)
              RETURNING ${columns}`,
          first
        ).pipe(traced("SqlJobRepository.claim")),
      renew: (lease, until, now) =>
        Effect.map(
          sql`UPDATE jobs SET locked_until = ${at(until)}, updated_at = ${at(now)}
              WHERE id = ${lease.id} AND locked_by = ${lease.worker} AND status = 'running' RETURNING id`,
          (rows) => rows.length > 0
        ).pipe(traced("SqlJobRepository.renew")),
      checkpoint: (lease, progress, result, now) =>
        Effect.map(
          sql`UPDATE jobs SET progress = ${json({ done: progress.done, total: progress.total })}::jsonb,
                result = ${json(result)}::jsonb, updated_at = ${at(now)}
              WHERE id = ${lease.id} AND locked_by = ${lease.worker} AND status = 'running' RETURNING id`,
          (rows) => rows.length > 0
        ).pipe(traced("SqlJobRepository.checkpoint")),
      succeed: (lease, result, now) => finish(lease, "succeeded", result, null, now, "SqlJobRepository.succeed"),
      fail: (lease, error, now) => finish(lease, "failed", null, error, now, "SqlJobRepository.fail"),
      retry: (lease, error, runAt, now) =>
        Effect.map(
          sql`UPDATE jobs SET status = 'queued', run_at = ${at(runAt)}, error = ${error},
                locked_by = NULL, locked_until = NULL, updated_at = ${at(now)}
              WHERE id = ${lease.id} AND locked_by = ${lease.worker} AND status = 'running' RETURNING id`,
          (rows) => rows.length > 0
        ).pipe(traced("SqlJobRepository.retry")),
      cancel: (id, now) =>
        Effect.map(
          sql`UPDATE jobs SET status = 'cancelled', updated_at = ${at(now)}, finished_at = ${at(now)}
              WHERE id = ${id} AND status = 'queued' RETURNING id`,
          (rows) => rows.length > 0
        ).pipe(traced("SqlJobRepository.cancel")),
      pruneFinished: (before) =>
        Effect.flatMap(
          sql`WITH gone AS (DELETE FROM jobs WHERE finished_at < ${at(before)} RETURNING 1) SELECT count(*)::int AS count FROM gone`,
          decodeCount
        ).pipe(traced("SqlJobRepository.pruneFinished"))
    })
  })
)
