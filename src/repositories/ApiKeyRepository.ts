import { Context, type DateTime, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ApiKeyId, UserId } from "../domain/Ids.js"
import type { ApiKey, StoredApiKey, User } from "../domain/Model.js"

export class ApiKeyRepository extends Context.Tag("flowboard/ApiKeyRepository")<
  ApiKeyRepository,
  {
    readonly insert: (stored: StoredApiKey) => Effect.Effect<void, RepositoryError>
    /** The prefix is unique: it is how a presented key is found before its digest is compared. */
    readonly findByPrefix: (prefix: string) => Effect.Effect<Option.Option<StoredApiKey>, RepositoryError>
    /** `findByPrefix` with the key's user: a presented key becomes an identity in one read. */
    readonly findIdentity: (
      prefix: string
    ) => Effect.Effect<Option.Option<StoredApiKey & { readonly user: User }>, RepositoryError>
    readonly findById: (id: ApiKeyId) => Effect.Effect<Option.Option<ApiKey>, RepositoryError>
    /** All keys of a user, in id order. */
    readonly listByUser: (userId: UserId) => Effect.Effect<ReadonlyArray<ApiKey>, RepositoryError>
    /**
     * Sets `revokedAt` and returns the key as it now is; `None` when there is no such key or it
     * was already revoked (by an earlier call, or a concurrent one that committed first): so
     * exactly one caller revokes it, and records that it did.
     */
    readonly revoke: (id: ApiKeyId, at: DateTime.Utc) => Effect.Effect<Option.Option<ApiKey>, RepositoryError>
    readonly touch: (id: ApiKeyId, at: DateTime.Utc) => Effect.Effect<void, RepositoryError>
    /** Many `touch`es in one write; a later time never goes back to an earlier one. */
    readonly touchMany: (
      uses: ReadonlyArray<{ readonly id: ApiKeyId; readonly at: DateTime.Utc }>
    ) => Effect.Effect<void, RepositoryError>
  }
>() {}
