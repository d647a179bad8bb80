import { DateTime, Duration, Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { type RepositoryError, Unauthorized } from "../domain/Errors.js"
import { ApiKeyRepository } from "../repositories/ApiKeyRepository.js"
import { UserRepository } from "../repositories/UserRepository.js"
import * as ApiKeyCodec from "../security/ApiKeyCodec.js"

/** `lastUsedAt` is a hint, not an audit trail: write it at most once a minute per key. */
const TOUCH_INTERVAL = Duration.minutes(1)

export class AuthService extends Effect.Service<AuthService>()("flowboard/AuthService", {
  effect: Effect.gen(function* () {
    const keys = yield* ApiKeyRepository
    const users = yield* UserRepository

    // One message for every refusal, so a caller cannot probe which prefixes exist.
    const refuse = new Unauthorized({ message: "invalid, expired or revoked API key" })

    const authenticate = Effect.fn("AuthService.authenticate")(function* (
      token: string
    ): Effect.fn.Return<Actor, Unauthorized | RepositoryError> {
      const parsed = ApiKeyCodec.parse(token)
      if (parsed === null) return yield* refuse
      const stored = yield* keys.findByPrefix(parsed.prefix)
      if (Option.isNone(stored) || !ApiKeyCodec.verify(parsed.secret, stored.value.secretHash)) return yield* refuse
      const key = stored.value.key
      const now = yield* DateTime.now
      if (key.revokedAt !== null) return yield* refuse
      if (key.expiresAt !== null && DateTime.lessThanOrEqualTo(key.expiresAt, now)) return yield* refuse
      const user = yield* users.findById(key.userId)
      if (Option.isNone(user)) return yield* refuse
      if (key.lastUsedAt === null || DateTime.greaterThan(now, DateTime.addDuration(key.lastUsedAt, TOUCH_INTERVAL))) {
        yield* keys.touch(key.id, now)
      }
      return { user: user.value, keyId: key.id, scopes: key.scopes }
    })

    return { authenticate } as const
  })
}) {}
