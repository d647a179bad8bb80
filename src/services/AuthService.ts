import { Config, DateTime, Duration, Effect, HashMap, Option, Queue, Ref } from "effect"
import type { Actor } from "../domain/Actor.js"
import { type RepositoryError, Unauthorized } from "../domain/Errors.js"
import type { ApiKeyId } from "../domain/Ids.js"
import { ApiKeyRepository } from "../repositories/ApiKeyRepository.js"
import * as ApiKeyCodec from "../security/ApiKeyCodec.js"
import { IdentityCache } from "../security/IdentityCache.js"

/** `lastUsedAt` is a hint, not an audit trail: record it at most once a minute per key. */
const TOUCH_INTERVAL = Duration.minutes(1)

/** How often the recorded uses are written, all in one statement, off the request path. */
export const AuthUsageConfig = Config.duration("AUTH_USAGE_FLUSH_INTERVAL").pipe(Config.withDefault(Duration.seconds(10)))

export class AuthService extends Effect.Service<AuthService>()("flowboard/AuthService", {
  scoped: Effect.gen(function* () {
    const keys = yield* ApiKeyRepository
    const identities = yield* IdentityCache
    const flushInterval = yield* AuthUsageConfig

    // One message for every refusal, so a caller cannot probe which prefixes exist.
    const refuse = new Unauthorized({ message: "invalid, expired or revoked API key" })

    // Uses waiting to be written, and the last use recorded per key (the cached row's
    // `lastUsedAt` does not move while it is cached).
    const pending = yield* Ref.make(HashMap.empty<ApiKeyId, DateTime.Utc>())
    const recorded = yield* Ref.make(HashMap.empty<ApiKeyId, DateTime.Utc>())
    // Rung by the first use after a flush: an idle process never wakes up for nothing.
    const due = yield* Queue.sliding<void>(1)

    const noteUse = (id: ApiKeyId, stored: DateTime.Utc | null, now: DateTime.Utc) =>
      Effect.gen(function* () {
        const last = Option.orElse(HashMap.get(yield* Ref.get(recorded), id), () => Option.fromNullable(stored))
        if (Option.isSome(last) && !DateTime.greaterThan(now, DateTime.addDuration(last.value, TOUCH_INTERVAL))) return
        yield* Ref.update(recorded, HashMap.set(id, now))
        yield* Ref.update(pending, HashMap.set(id, now))
        yield* Queue.offer(due, undefined)
      })

    /** Writes the uses recorded so far; on failure they are kept for the next flush. */
    const flushUsage: Effect.Effect<void, RepositoryError> = Effect.gen(function* () {
      const uses = yield* Ref.getAndSet(pending, HashMap.empty())
      if (HashMap.size(uses) === 0) return
      yield* keys.touchMany(Array.from(uses, ([id, at]) => ({ id, at }))).pipe(
        Effect.tapError(() => Ref.update(pending, (later) => HashMap.union(uses, later)))
      )
    }).pipe(Effect.withSpan("AuthService.flushUsage"))

    yield* Queue.take(due).pipe(
      Effect.zipRight(Effect.sleep(flushInterval)),
      Effect.zipRight(flushUsage),
      Effect.catchAll((error) =>
        Effect.logWarning("writing API key last-used times failed; will retry", error).pipe(Effect.zipRight(Queue.offer(due, undefined)))
      ),
      Effect.forever,
      Effect.forkScoped
    )
    // What is still pending at shutdown is written once more, within a bound.
    yield* Effect.addFinalizer(() =>
      flushUsage.pipe(Effect.timeout(Duration.seconds(2)), Effect.catchAllCause((cause) => Effect.logWarning("final last-used flush failed", cause)))
    )

    const authenticate = Effect.fn("AuthService.authenticate")(function* (
      token: string
    ): Effect.fn.Return<Actor, Unauthorized | RepositoryError> {
      const parsed = ApiKeyCodec.parse(token)
      if (parsed === null) return yield* refuse
      const stored = yield* identities.find(parsed.prefix)
      if (Option.isNone(stored) || !ApiKeyCodec.verify(parsed.secret, stored.value.secretHash)) return yield* refuse
      const { key, user } = stored.value
      const now = yield* DateTime.now
      if (key.revokedAt !== null) return yield* refuse
      if (key.expiresAt !== null && DateTime.lessThanOrEqualTo(key.expiresAt, now)) return yield* refuse
      yield* noteUse(key.id, key.lastUsedAt, now)
      return { user, keyId: key.id, scopes: key.scopes }
    })

    return { authenticate, flushUsage } as const
  })
}) {}
