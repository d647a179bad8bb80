import * as Vitest from "@effect/vitest"
import { DateTime, Effect, Option, type Layer } from "effect"
import { newId } from "../../../src/domain/Ids.js"
import { Job, JobId, type JobPriority, JobProgress } from "../../../src/domain/Job.js"
import { JobRepository } from "../../../src/repositories/JobRepository.js"
import { Transactor } from "../../../src/repositories/Transactor.js"

const { expect } = Vitest

/**
 * What every JobRepository adapter must do. One database serves the whole suite, so each test
 * lives in a time slot of its own, a day earlier than the previous test's: a claim at a test's
 * `now` cannot see the jobs (or leases) of the tests before it, which are all later.
 */
let slots = 0
const slot = () => DateTime.unsafeMake(Date.UTC(2000, 0, 1) - ++slots * 86_400_000)
const at = (base: DateTime.Utc, seconds: number) => DateTime.add(base, { seconds })

const aJob = (runAt: DateTime.Utc, fields: { readonly priority?: JobPriority; readonly key?: string; readonly type?: string; readonly payload?: unknown } = {}) =>
  new Job({
    id: newId(JobId),
    type: fields.type ?? "contract.test",
    payload: fields.payload ?? { snake_case: { inner_key: [1, "two", null] } },
    status: "queued",
    priority: fields.priority ?? "default",
    runAt,
    attempts: 0,
    maxAttempts: 3,
    idempotencyKey: fields.key ?? null,
    progress: null,
    result: null,
    error: null,
    lockedBy: null,
    lockedUntil: null,
    createdBy: null,
    correlationId: "corr-1",
    createdAt: runAt,
    updatedAt: runAt,
    finishedAt: null
  })

export const jobRepositoryContract = (name: string, layer: Layer.Layer<JobRepository | Transactor, unknown>): void =>
  Vitest.layer(layer)(name, (it) => {
    it.effect("stores a job and reads it back, JSON keys as given", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const job = aJob(slot())
        expect(yield* jobs.enqueue(job)).toEqual({ job, created: true })
        expect(Option.getOrThrow(yield* jobs.findById(job.id))).toEqual(job)
      }))

    it.effect("a second job with the same type and idempotency key is not stored: the first is returned", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const key = `key-${slots}`
        const first = aJob(slot(), { key })
        yield* jobs.enqueue(first)
        const again = yield* jobs.enqueue(aJob(slot(), { key, payload: { other: true } }))
        expect(again).toEqual({ job: first, created: false })
        expect((yield* jobs.enqueue(aJob(slot(), { key, type: "contract.other" }))).created).toBe(true)
        expect((yield* jobs.enqueue(aJob(slot()))).created).toBe(true)
      }))

    it.effect("claims due jobs by priority, then due time; leases them; skips what is not due", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const base = slot()
        const low = aJob(base, { priority: "low" })
        const early = aJob(at(base, 1))
        const high = aJob(at(base, 2), { priority: "high" })
        const late = aJob(at(base, 3))
        const future = aJob(at(base, 3600))
        yield* Effect.forEach([late, future, low, high, early], jobs.enqueue)
        const now = at(base, 10)
        const claimed = []
        for (let i = 0; i < 5; i++) {
          const next = yield* jobs.claim(`w${i}`, now, at(now, 30))
          if (Option.isSome(next)) claimed.push(next.value)
        }
        expect(claimed.map((j) => j.id)).toEqual([high.id, early.id, late.id, low.id])
        expect(claimed[0]).toMatchObject({ status: "running", attempts: 1, lockedBy: "w0", lockedUntil: at(now, 30) })
      }))

    it.effect("a lapsed lease makes a running job claimable again; the old holder can write nothing", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const base = slot()
        const job = aJob(base)
        yield* jobs.enqueue(job)
        yield* jobs.claim("dead", base, at(base, 30))
        expect(yield* jobs.claim("other", at(base, 29), at(base, 59))).toEqual(Option.none())
        const again = Option.getOrThrow(yield* jobs.claim("other", at(base, 31), at(base, 61)))
        expect(again).toMatchObject({ id: job.id, attempts: 2, lockedBy: "other" })
        const dead = { id: job.id, worker: "dead" }
        const now = at(base, 32)
        expect([
          yield* jobs.renew(dead, at(base, 90), now),
          yield* jobs.checkpoint(dead, new JobProgress({ done: 1, total: 2 }), {}, now),
          yield* jobs.succeed(dead, {}, now),
          yield* jobs.retry(dead, "x", now, now),
          yield* jobs.fail(dead, "x", now)
        ]).toEqual([false, false, false, false, false])
      }))

    it.effect("records checkpoints, retries and outcomes for the holder of the lease", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const base = slot()
        const job = aJob(base)
        yield* jobs.enqueue(job)
        const lease = { id: job.id, worker: "w" }
        yield* jobs.claim("w", base, at(base, 30))
        expect(yield* jobs.renew(lease, at(base, 60), at(base, 1))).toBe(true)
        expect(yield* jobs.checkpoint(lease, new JobProgress({ done: 1, total: 2 }), { done_items: [1] }, at(base, 2))).toBe(true)
        expect(yield* jobs.retry(lease, "boom", at(base, 100), at(base, 3))).toBe(true)
        const queued = Option.getOrThrow(yield* jobs.findById(job.id))
        expect(queued).toMatchObject({ status: "queued", error: "boom", runAt: at(base, 100), lockedBy: null, progress: { done: 1, total: 2 }, result: { done_items: [1] } })
        yield* jobs.claim("w", at(base, 100), at(base, 130))
        expect(yield* jobs.succeed(lease, { all: true }, at(base, 101))).toBe(true)
        expect(Option.getOrThrow(yield* jobs.findById(job.id))).toMatchObject({ status: "succeeded", result: { all: true }, error: null, finishedAt: at(base, 101), attempts: 2 })
        const failing = aJob(base)
        yield* jobs.enqueue(failing)
        yield* jobs.claim("w", at(base, 200), at(base, 230))
        expect(yield* jobs.fail({ id: failing.id, worker: "w" }, "gave up", at(base, 201))).toBe(true)
        expect(Option.getOrThrow(yield* jobs.findById(failing.id))).toMatchObject({ status: "failed", error: "gave up", lockedBy: null })
      }))

    it.effect("cancels only a queued job; prunes finished jobs by age", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const base = slot()
        const queued = aJob(base)
        const running = aJob(base)
        yield* Effect.forEach([queued, running], jobs.enqueue)
        yield* jobs.claim("w", base, at(base, 30))
        const [first] = [queued.id < running.id ? running : queued]
        expect(yield* jobs.cancel(first.id, at(base, 1))).toBe(true)
        expect(yield* jobs.cancel(first.id, at(base, 1))).toBe(false)
        expect(Option.getOrThrow(yield* jobs.findById(first.id))).toMatchObject({ status: "cancelled", finishedAt: at(base, 1) })
        expect(yield* jobs.pruneFinished(at(base, 1))).toBe(0)
        expect(yield* jobs.pruneFinished(at(base, 2))).toBeGreaterThanOrEqual(1)
        expect(yield* jobs.findById(first.id)).toEqual(Option.none())
      }))

    it.effect("an enqueue inside a unit of work that fails is not stored", () =>
      Effect.gen(function* () {
        const jobs = yield* JobRepository
        const { transaction } = yield* Transactor
        const job = aJob(slot())
        yield* Effect.flip(transaction(Effect.zipRight(jobs.enqueue(job), Effect.fail("rollback" as const))))
        expect(yield* jobs.findById(job.id)).toEqual(Option.none())
      }))
  })
