import { Context, type DateTime, type Effect, type Option } from "effect"
import type { DeadLetter, DeadLetterId, DeadLetterStatus, Failure } from "../domain/DeadLetter.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import type { UserId } from "../domain/Ids.js"
import type { PageRequest } from "../domain/Page.js"

export interface DeadLetterFilter {
  readonly handler: string | null
  readonly status: DeadLetterStatus | null
}

/**
 * Events a handler gave up on. One letter per (handler, event): recording the same pair again
 * (a failed replay, or a redelivery dead-lettered twice) adds its attempts to the letter, keeps
 * the first failure time, takes the latest error and puts the letter back to `pending`.
 */
export class DeadLetterRepository extends Context.Tag("flowboard/DeadLetterRepository")<
  DeadLetterRepository,
  {
    readonly record: (entry: {
      readonly id: DeadLetterId
      readonly handler: string
      readonly envelope: OutboxEnvelope
      readonly failure: Failure
      readonly createdAt: DateTime.Utc
    }) => Effect.Effect<DeadLetter, RepositoryError>
    readonly findById: (id: DeadLetterId) => Effect.Effect<Option.Option<DeadLetter>, RepositoryError>
    /** `limit + 1` letters in id (creation) order after the cursor, matching the filter. */
    readonly list: (filter: DeadLetterFilter, page: PageRequest) => Effect.Effect<ReadonlyArray<DeadLetter>, RepositoryError>
    /** `false` when there is no such letter. */
    readonly markReplayed: (id: DeadLetterId, by: UserId | null, at: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** `false` when there is no such letter. */
    readonly remove: (id: DeadLetterId) => Effect.Effect<boolean, RepositoryError>
  }
>() {}
