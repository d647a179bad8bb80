import { Effect, Predicate } from "effect"
import { CurrentActor } from "../api/Security.js"
import type { Actor } from "../domain/Actor.js"
import { InternalError, type RepositoryError, ServiceUnavailable } from "../domain/Errors.js"

/**
 * Infrastructure failures leave the service layer as `RepositoryError`. The client learns only
 * that something failed (and may retry when it is transient); the cause goes to the log, under
 * the request's correlation id.
 */
export const orInternal = <A, E, R>(
  effect: Effect.Effect<A, E | RepositoryError, R>
): Effect.Effect<A, Exclude<E, RepositoryError> | InternalError | ServiceUnavailable, R> =>
  Effect.catchIf(
    effect,
    (e): e is RepositoryError => Predicate.isTagged(e, "RepositoryError"),
    (e) =>
      Effect.logError("repository failure", e.message, e.cause).pipe(
        Effect.zipRight(
          Effect.fail<InternalError | ServiceUnavailable>(
            e.transient
              ? new ServiceUnavailable({ message: "a dependency is unavailable, retry later" })
              : new InternalError({ message: "internal error" })
          )
        )
      )
  )

/**
 * The shape of nearly every handler: take the caller from the authentication middleware, make
 * one service call as them, and hide infrastructure failures behind `orInternal`.
 */
export const asActor = <A, E, R>(call: (actor: Actor) => Effect.Effect<A, E | RepositoryError, R>) =>
  CurrentActor.pipe(Effect.flatMap(call), orInternal)
