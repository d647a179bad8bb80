import { Array as Arr, DateTime, Effect, HashMap, Layer, Option, Order } from "effect"
import { isFinished, Job, type JobId, priorityRank } from "../../domain/Job.js"
import { type Lease, JobRepository } from "../JobRepository.js"
import { MemoryStore, ok, type Tables } from "./MemoryStore.js"
import { rowsOf } from "./Query.js"

const claimOrder: Order.Order<Job> = Order.combine(
  Order.combine(
    Order.mapInput(Order.number, (job: Job) => priorityRank[job.priority]),
    Order.mapInput(DateTime.Order, (job: Job) => job.runAt)
  ),
  Order.mapInput(Order.string, (job: Job) => job.id)
)

const isDue = (now: DateTime.Utc) => (job: Job): boolean =>
  (job.status === "queued" && DateTime.lessThanOrEqualTo(job.runAt, now)) ||
  (job.status === "running" && job.lockedUntil !== null && DateTime.lessThan(job.lockedUntil, now))

const holds = (lease: Lease) => (job: Job): boolean => job.status === "running" && job.lockedBy === lease.worker

export const MemoryJobRepository = Layer.effect(
  JobRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore

    /** A write to the job `id` when `when` holds of it; `false` (and nothing changed) otherwise. */
    const update = (id: JobId, when: (job: Job) => boolean, change: (job: Job) => Job) =>
      store.write((t: Tables) => {
        const job = HashMap.get(t.jobs, id)
        if (Option.isNone(job) || !when(job.value)) return ok(false, t)
        return ok(true, { ...t, jobs: HashMap.set(t.jobs, id, change(job.value)) })
      })

    return JobRepository.of({
      enqueue: (job) =>
        store.write<{ readonly job: Job; readonly created: boolean }>((t) => {
          const existing =
            job.idempotencyKey === null
              ? Option.none()
              : Arr.findFirst(rowsOf(t.jobs), (j) => j.type === job.type && j.idempotencyKey === job.idempotencyKey)
          if (Option.isSome(existing)) return ok({ job: existing.value, created: false }, t)
          return ok({ job, created: true }, { ...t, jobs: HashMap.set(t.jobs, job.id, job) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.jobs, id)),
      claim: (worker, now, leaseUntil) =>
        store.write((t) => {
          const next = Arr.head(Arr.sort(rowsOf(t.jobs).filter(isDue(now)), claimOrder))
          if (Option.isNone(next)) return ok(Option.none(), t)
          const claimed = new Job({
            ...next.value,
            status: "running",
            attempts: next.value.attempts + 1,
            lockedBy: worker,
            lockedUntil: leaseUntil,
            updatedAt: now
          })
          return ok(Option.some(claimed), { ...t, jobs: HashMap.set(t.jobs, claimed.id, claimed) })
        }),
      renew: (lease, until, now) => update(lease.id, holds(lease), (job) => new Job({ ...job, lockedUntil: until, updatedAt: now })),
      checkpoint: (lease, progress, result, now) =>
        update(lease.id, holds(lease), (job) => new Job({ ...job, progress, result, updatedAt: now })),
      succeed: (lease, result, now) =>
        update(
          lease.id,
          holds(lease),
          (job) =>
            new Job({ ...job, status: "succeeded", result: result ?? job.result, error: null, lockedBy: null, lockedUntil: null, updatedAt: now, finishedAt: now })
        ),
      fail: (lease, error, now) =>
        update(
          lease.id,
          holds(lease),
          (job) => new Job({ ...job, status: "failed", error, lockedBy: null, lockedUntil: null, updatedAt: now, finishedAt: now })
        ),
      retry: (lease, error, runAt, now) =>
        update(
          lease.id,
          holds(lease),
          (job) => new Job({ ...job, status: "queued", runAt, error, lockedBy: null, lockedUntil: null, updatedAt: now })
        ),
      cancel: (id, now) =>
        update(id, (job) => job.status === "queued", (job) => new Job({ ...job, status: "cancelled", updatedAt: now, finishedAt: now })),
      pruneFinished: (before) =>
        store.write((t) => {
          const gone = (job: Job) => isFinished(job.status) && job.finishedAt !== null && DateTime.lessThan(job.finishedAt, before)
          const jobs = HashMap.filter(t.jobs, (job) => !gone(job))
          return ok(HashMap.size(t.jobs) - HashMap.size(jobs), { ...t, jobs })
        })
    })
  })
)
