import { Context, Data, Effect, Option, Schema } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { Job, JobPriority, JobProgress } from "../domain/Job.js"

/**
 * Why an attempt failed. `retryable` failures are tried again on the job retry schedule until
 * the job's attempts run out; the others fail the job at once (bad input will not get better).
 * The message is shown to the job's creator: it must not carry internals.
 */
export class JobFailure extends Data.TaggedError("JobFailure")<{ readonly message: string; readonly retryable: boolean }> {}

/** A kind of job: its name and the schemas of its payload and result (both stored as JSON). */
export interface JobType<P, PI, R, RI> {
  readonly name: string
  readonly payload: Schema.Schema<P, PI>
  readonly result: Schema.Schema<R, RI>
  readonly defaults: { readonly priority: JobPriority; readonly maxAttempts: number }
}

export const jobType = <P, PI, R, RI>(
  name: string,
  schemas: { readonly payload: Schema.Schema<P, PI>; readonly result: Schema.Schema<R, RI> },
  defaults: { readonly priority?: JobPriority; readonly maxAttempts?: number } = {}
): JobType<P, PI, R, RI> => ({
  name,
  ...schemas,
  defaults: { priority: defaults.priority ?? "default", maxAttempts: defaults.maxAttempts ?? 3 }
})

/** What a handler gets besides its payload. */
export interface JobContext<R> {
  readonly job: Job
  /** The partial result a previous attempt checkpointed: where to resume. */
  readonly resumed: Option.Option<R>
  /**
   * Records progress and the partial result. Call it inside the unit of work whose changes it
   * describes, so both commit or neither does; it fails (non-retryable) when this runner no
   * longer holds the job, which rolls that unit back.
   */
  readonly checkpoint: (progress: JobProgress, partial: R) => Effect.Effect<void, JobFailure | RepositoryError>
}

/** The runner's side of a context: results as JSON. */
export interface RawJobContext {
  readonly checkpoint: (progress: JobProgress, partial: unknown) => Effect.Effect<void, JobFailure | RepositoryError>
}

/** A handler with its types erased: decodes its payload and encodes its result itself. */
export interface JobHandler {
  readonly type: string
  readonly run: (job: Job, context: RawJobContext) => Effect.Effect<unknown, JobFailure | RepositoryError>
}

const invalid = (what: string) => () => new JobFailure({ message: `the job's ${what} does not match its type`, retryable: false })

export const handle = <P, PI, R, RI>(
  type: JobType<P, PI, R, RI>,
  run: (payload: P, context: JobContext<R>) => Effect.Effect<R, JobFailure | RepositoryError>
): JobHandler => {
  const encodeResult = (result: R) => Schema.encode(type.result)(result).pipe(Effect.mapError(invalid("result")))
  return {
    type: type.name,
    run: (job, raw) =>
      Effect.gen(function* () {
        const payload = yield* Schema.decodeUnknown(type.payload)(job.payload).pipe(Effect.mapError(invalid("payload")))
        const resumed =
          job.result === null ? Option.none() : yield* Effect.option(Schema.decodeUnknown(type.result)(job.result))
        const result = yield* run(payload, {
          job,
          resumed,
          checkpoint: (progress, partial) => Effect.flatMap(encodeResult(partial), (encoded) => raw.checkpoint(progress, encoded))
        })
        return yield* encodeResult(result)
      })
  }
}

/** Every job handler the runner knows, by type. */
export class JobHandlers extends Context.Tag("flowboard/JobHandlers")<JobHandlers, ReadonlyMap<string, JobHandler>>() {
  static from(handlers: ReadonlyArray<JobHandler>): ReadonlyMap<string, JobHandler> {
    return new Map(handlers.map((handler) => [handler.type, handler]))
  }
}
