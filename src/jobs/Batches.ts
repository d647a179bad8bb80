import { Effect, Either, Option, Predicate } from "effect"
import type { Actor } from "../domain/Actor.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { Job } from "../domain/Job.js"
import { JobProgress } from "../domain/Job.js"
import type { UserRepository } from "../repositories/UserRepository.js"
import { JobFailure } from "./JobType.js"

/** How many operations commit together. */
export const BATCH_SIZE = 100

export interface DomainFailure {
  readonly _tag: string
  readonly message: string
}

/**
 * Runs one operation of a batch in a unit of its own (nested in the batch's, so a savepoint):
 * a domain failure undoes that operation only and becomes its outcome; an infrastructure
 * failure fails the whole batch, which rolls back and is retried from the last checkpoint.
 */
export const settle = <A, E extends DomainFailure>(
  transaction: <X, Y>(effect: Effect.Effect<X, Y>) => Effect.Effect<X, Y | RepositoryError>,
  operation: Effect.Effect<A, E | RepositoryError>
): Effect.Effect<Either.Either<A, DomainFailure>, RepositoryError> =>
  Effect.matchEffect(transaction(operation), {
    onSuccess: (value) => Effect.succeed(Either.right(value)),
    onFailure: (error) =>
      Predicate.isTagged(error, "RepositoryError") && "transient" in error
        ? Effect.fail(error)
        : Effect.succeed(Either.left({ _tag: error._tag, message: error.message }))
  })

/**
 * Works through `total` items from `done` on, `BATCH_SIZE` at a time. Each batch is one unit of
 * work that ends with `checkpoint`, so a batch's changes and the progress that records them
 * commit together: an attempt that dies mid-batch loses that batch only, and the next attempt
 * resumes after the last committed one without repeating any.
 */
export const inBatches = <S>(options: {
  readonly total: number
  readonly done: number
  readonly state: S
  readonly transaction: <X, Y>(effect: Effect.Effect<X, Y>) => Effect.Effect<X, Y | RepositoryError>
  readonly batch: (from: number, to: number, state: S) => Effect.Effect<S, RepositoryError>
  readonly checkpoint: (progress: JobProgress, state: S) => Effect.Effect<void, JobFailure | RepositoryError>
}): Effect.Effect<S, JobFailure | RepositoryError> =>
  Effect.gen(function* () {
    let state = options.state
    for (let from = options.done; from < options.total; from += BATCH_SIZE) {
      const to = Math.min(options.total, from + BATCH_SIZE)
      state = yield* options.transaction(
        Effect.tap(options.batch(from, to, state), (next) => options.checkpoint(new JobProgress({ done: to, total: options.total }), next))
      )
    }
    return state
  })

/** The job's creator, acting through the job: the services check membership and roles as for a request. */
export const actorOf = (users: UserRepository["Type"], job: Job): Effect.Effect<Actor, JobFailure | RepositoryError> =>
  Effect.gen(function* () {
    const user = job.createdBy === null ? Option.none() : yield* users.findById(job.createdBy)
    if (Option.isNone(user)) return yield* new JobFailure({ message: "the user who started the job no longer exists", retryable: false })
    return { user: user.value, keyId: null, scopes: ["write"] }
  })
