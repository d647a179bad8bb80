import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Option, TestClock } from "effect"
import type { ApiKeyId } from "../../../src/domain/Ids.js"
import { CreateKey } from "../../../src/domain/Requests.js"
import { ApiKeyRepository } from "../../../src/repositories/ApiKeyRepository.js"
import { AuthService } from "../../../src/services/AuthService.js"
import { UserService } from "../../../src/services/UserService.js"
import { expectFailure, fresh, signUp } from "./Fixtures.js"

const lastUsedAt = (id: ApiKeyId) =>
  Effect.flatMap(ApiKeyRepository, (keys) => keys.findById(id)).pipe(Effect.map((key) => Option.getOrThrow(key).lastUsedAt))

/** A fresh key for a new member, never used yet. */
const unusedKey = (expiresAt: DateTime.Utc | null = null) =>
  Effect.gen(function* () {
    const ada = yield* signUp()
    const users = yield* UserService
    const issued = yield* users.createKey(ada.actor, ada.user.id, new CreateKey({ name: "ci", scopes: ["read", "write"], expiresAt }))
    return { ada, ...issued }
  })

describe("AuthService.authenticate", () => {
  it.effect("turns a valid token into the actor behind it, with the key's scopes", () =>
    Effect.gen(function* () {
      const { ada, key, token } = yield* unusedKey()
      const auth = yield* AuthService
      const actor = yield* auth.authenticate(token)
      expect(actor.user).toEqual(ada.user)
      expect(actor.keyId).toBe(key.id)
      expect(actor.scopes).toEqual(["read", "write"])
    }).pipe(fresh)
  )

  it.effect("refuses a wrong secret, an unknown prefix and malformed tokens alike", () =>
    Effect.gen(function* () {
      const { token } = yield* unusedKey()
      const auth = yield* AuthService
      const [, prefix, secret] = /^fb_([0-9a-f]{12})_(.{43})$/.exec(token)!
      const otherSecret = (secret!.startsWith("A") ? "B" : "A") + secret!.slice(1)
      const otherPrefix = (prefix!.startsWith("0") ? "1" : "0") + prefix!.slice(1)
      const refused = [
        `fb_${prefix}_${otherSecret}`,
        `fb_${otherPrefix}_${secret}`,
        "",
        "fb_",
        token.slice(0, -1),
        `${token}A`,
        token.toUpperCase(),
        `Bearer ${token}`,
        `fb_${prefix}_${secret!.slice(0, 42)}=`
      ]
      for (const presented of refused) {
        const error = yield* auth.authenticate(presented).pipe(expectFailure("Unauthorized"))
        // The same words for every refusal, so nobody can probe which prefixes exist.
        expect(error.message).toBe("invalid, expired or revoked API key")
      }
    }).pipe(fresh)
  )

  it.effect("refuses a revoked key", () =>
    Effect.gen(function* () {
      const { ada, key, token } = yield* unusedKey()
      const auth = yield* AuthService
      yield* auth.authenticate(token)
      yield* Effect.flatMap(UserService, (users) => users.revokeKey(ada.actor, key.id))
      yield* auth.authenticate(token).pipe(expectFailure("Unauthorized"))
      // Revoking one key leaves the user's other keys working.
      expect((yield* auth.authenticate(ada.token)).user.id).toBe(ada.user.id)
    }).pipe(fresh)
  )

  it.effect("accepts a key until its expiry and refuses it from that instant on", () =>
    Effect.gen(function* () {
      const expiresAt = DateTime.add(yield* DateTime.now, { hours: 1 })
      const { token } = yield* unusedKey(expiresAt)
      const auth = yield* AuthService
      yield* TestClock.adjust(Duration.minutes(59))
      yield* auth.authenticate(token)
      yield* TestClock.setTime(DateTime.toEpochMillis(expiresAt) - 1)
      yield* auth.authenticate(token)
      yield* TestClock.setTime(DateTime.toEpochMillis(expiresAt))
      yield* auth.authenticate(token).pipe(expectFailure("Unauthorized"))
      yield* TestClock.adjust(Duration.days(30))
      yield* auth.authenticate(token).pipe(expectFailure("Unauthorized"))
    }).pipe(fresh)
  )

  it.effect("records lastUsedAt on first use and then at most once a minute, written in batches", () =>
    Effect.gen(function* () {
      const { key, token } = yield* unusedKey()
      const auth = yield* AuthService
      expect(yield* lastUsedAt(key.id)).toBeNull()

      yield* TestClock.setTime(10_000)
      yield* auth.authenticate(token)
      // Recorded, not yet written: the request did not wait for the write.
      expect(yield* lastUsedAt(key.id)).toBeNull()
      yield* auth.flushUsage
      expect(yield* lastUsedAt(key.id)).toEqual(DateTime.unsafeMake(10_000))

      yield* TestClock.setTime(10_000 + 30_000)
      yield* auth.authenticate(token)
      yield* TestClock.setTime(10_000 + 60_000)
      yield* auth.authenticate(token)
      yield* auth.flushUsage
      expect(yield* lastUsedAt(key.id)).toEqual(DateTime.unsafeMake(10_000))

      yield* TestClock.setTime(10_000 + 60_001)
      yield* auth.authenticate(token)
      // The periodic flush writes it without anyone asking.
      yield* TestClock.adjust(Duration.seconds(10))
      expect(yield* lastUsedAt(key.id)).toEqual(DateTime.unsafeMake(70_001))
    }).pipe(fresh)
  )

  it.effect("serves a key from the cache for its TTL, and forgets a key revoked in this process at once", () =>
    Effect.gen(function* () {
      const { ada, key, token } = yield* unusedKey()
      const auth = yield* AuthService
      const keys = yield* ApiKeyRepository
      yield* auth.authenticate(token)
      // Revoked behind the service's back (as another API process would): the cached row is used until its TTL ends.
      yield* keys.revoke(key.id, yield* DateTime.now)
      yield* TestClock.adjust(Duration.seconds(5))
      yield* auth.authenticate(token)
      yield* TestClock.adjust(Duration.millis(1))
      yield* auth.authenticate(token).pipe(expectFailure("Unauthorized"))
      // Revoked through the service: refused on the very next request.
      const other = yield* Effect.flatMap(UserService, (users) => users.createKey(ada.actor, ada.user.id, new CreateKey({ name: "b", scopes: ["read"], expiresAt: null })))
      yield* auth.authenticate(other.token)
      yield* Effect.flatMap(UserService, (users) => users.revokeKey(ada.actor, other.key.id))
      yield* auth.authenticate(other.token).pipe(expectFailure("Unauthorized"))
    }).pipe(fresh)
  )

  it.effect("does not touch lastUsedAt for a refused key", () =>
    Effect.gen(function* () {
      const expiresAt = DateTime.add(yield* DateTime.now, { minutes: 1 })
      const { key, token } = yield* unusedKey(expiresAt)
      const auth = yield* AuthService
      yield* TestClock.adjust(Duration.minutes(2))
      yield* auth.authenticate(token).pipe(expectFailure("Unauthorized"))
      expect(yield* lastUsedAt(key.id)).toBeNull()
    }).pipe(fresh)
  )
})
