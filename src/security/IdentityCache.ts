import { Cache, Config, Duration, Effect, Exit, Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { StoredApiKey, User } from "../domain/Model.js"
import { ApiKeyRepository } from "../repositories/ApiKeyRepository.js"

export type Identity = StoredApiKey & { readonly user: User }

/**
 * How long a key's row (with its user) is reused without reading it again, and how many keys
 * are held. `AUTH_CACHE_TTL=0` turns the cache off. The TTL is the bound on how long a key
 * revoked through another API process keeps working here; the process that revokes a key
 * forgets it at once.
 */
export const IdentityCacheConfig = Config.all({
  ttl: Config.duration("AUTH_CACHE_TTL").pipe(Config.withDefault(Duration.seconds(5))),
  capacity: Config.integer("AUTH_CACHE_CAPACITY").pipe(Config.withDefault(10_000))
})

/**
 * The key → identity lookup every authenticated request makes, kept in process memory for a
 * few seconds (Effect's `Cache`: one lookup per key at a time however many requests wait for
 * it, least recently used keys dropped beyond the capacity). Only found keys are kept: an unknown
 * prefix is looked up again every time, so a key created elsewhere works at once and guesses
 * cannot fill the cache. Expiry and revocation are still checked on every use against the row
 * as cached; the digest is compared on every use.
 */
export class IdentityCache extends Effect.Service<IdentityCache>()("flowboard/IdentityCache", {
  scoped: Effect.gen(function* () {
    const keys = yield* ApiKeyRepository
    const { capacity, ttl } = yield* IdentityCacheConfig
    if (Duration.lessThanOrEqualTo(ttl, Duration.zero)) {
      return {
        find: (prefix: string): Effect.Effect<Option.Option<Identity>, RepositoryError> => keys.findIdentity(prefix),
        forget: (_prefix: string): Effect.Effect<void> => Effect.void
      }
    }
    const cache = yield* Cache.makeWith({
      capacity,
      lookup: (prefix: string) => keys.findIdentity(prefix),
      timeToLive: (exit) => (Exit.isSuccess(exit) && Option.isSome(exit.value) ? ttl : Duration.zero)
    })
    return {
      find: (prefix: string): Effect.Effect<Option.Option<Identity>, RepositoryError> => cache.get(prefix),
      forget: (prefix: string): Effect.Effect<void> => cache.invalidate(prefix)
    }
  })
}) {}
