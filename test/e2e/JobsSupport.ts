import { expect } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { JobAccepted, JobView } from "../../src/domain/Job.js"
import { jobRunner } from "../../src/jobs/JobRunner.js"
import { decodeBody, get, type Reply, SceneLive } from "./Harness.js"

/**
 * The e2e scene with a job runner beside the API, sharing its queue: a job starts as soon as
 * the request that enqueued it commits.
 */
export const JobsSceneLive = jobRunner({
  workerId: "e2e",
  pollInterval: "1 hour",
  lease: "5 minutes",
  concurrency: 1,
  shutdownGrace: "1 second"
}).pipe(Layer.provideMerge(SceneLive))

export const acceptedJob = (reply: Reply): JobAccepted => {
  expect({ status: reply.status, body: reply.status === 202 ? null : reply.text }).toEqual({ status: 202, body: null })
  return decodeBody(JobAccepted, reply)
}

/** Reads the job until it has finished (each read is a real round trip, in which the runner works). */
export const finished = (token: string, jobId: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      const job = decodeBody(JobView, yield* get(`/api/v1/jobs/${jobId}`, token))
      if (job.status !== "queued" && job.status !== "running") return job
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`job ${jobId} did not finish`)
  })

export const decodeResult = <A, I>(schema: Schema.Schema<A, I>, job: JobView): A => Schema.decodeUnknownSync(schema)(job.result)
