import { Context, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { UserId } from "../domain/Ids.js"
import type { User } from "../domain/Model.js"
import type { PageRequest } from "../domain/Page.js"

export class UserRepository extends Context.Tag("flowboard/UserRepository")<
  UserRepository,
  {
    /** Fails with `RepositoryError` on infrastructure faults; `false` when the email is taken. */
    readonly insert: (user: User) => Effect.Effect<boolean, RepositoryError>
    readonly findById: (id: UserId) => Effect.Effect<Option.Option<User>, RepositoryError>
    readonly findByEmail: (email: string) => Effect.Effect<Option.Option<User>, RepositoryError>
    /** Users in id order, `limit + 1` rows after the cursor id (the caller builds the page). */
    readonly list: (page: PageRequest) => Effect.Effect<ReadonlyArray<User>, RepositoryError>
    readonly count: Effect.Effect<number, RepositoryError>
  }
>() {}
