import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Option, Schema, TestClock } from "effect"
import { createHash } from "node:crypto"
import { ApiKeyId, newId, UserId } from "../../../src/domain/Ids.js"
import { CreateKey, CreateUser } from "../../../src/domain/Requests.js"
import { ApiKeyRepository } from "../../../src/repositories/ApiKeyRepository.js"
import { AuthService } from "../../../src/services/AuthService.js"
import { UserService } from "../../../src/services/UserService.js"
import { bootstrapAdmin, expectFailure, expectInvalid, fresh, recording, signUp, summary } from "./Fixtures.js"

const TOKEN = /^fb_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")
const aKey = (scopes: CreateKey["scopes"], expiresAt: DateTime.Utc | null = null) => new CreateKey({ name: "laptop", scopes, expiresAt })

describe("UserService", () => {
  describe("bootstrap", () => {
    it.effect("creates the first admin with an admin key, once", () =>
      Effect.gen(function* () {
        const users = yield* UserService
        const [first, events] = yield* recording(users.bootstrap("root@example.test"))
        const issued = Option.getOrThrow(first)
        expect(issued.user.role).toBe("admin")
        expect(issued.user.email).toBe("root@example.test")
        expect(issued.key.scopes).toEqual(["admin"])
        expect(issued.key.userId).toBe(issued.user.id)
        expect(events.map(summary)).toEqual([
          { type: "user.created.v1", aggregateId: issued.user.id, aggregateVersion: 1 },
          { type: "apikey.created.v1", aggregateId: issued.key.id, aggregateVersion: 1 }
        ])
        // Work the system does itself has no acting user.
        expect(events.map((e) => e.actor)).toEqual([null, null])

        const [second, none] = yield* recording(users.bootstrap("other@example.test"))
        expect(Option.isNone(second)).toBe(true)
        expect(none).toEqual([])
      }).pipe(fresh)
    )

    it.effect("stores the admin's email as user emails are stored: trimmed and lower-cased", () =>
      Effect.gen(function* () {
        const users = yield* UserService
        const issued = Option.getOrThrow(yield* users.bootstrap(" Root@Example.TEST "))
        expect(issued.user.email).toBe("root@example.test")
        // So the CLI cannot create a second account for the same address.
        yield* users.createUserWithKey(new CreateUser({ email: "root@example.test", name: "Root", role: "member" })).pipe(expectFailure("Conflict"))
      }).pipe(fresh)
    )

    it.effect("does nothing once any user exists", () =>
      Effect.gen(function* () {
        yield* signUp()
        const users = yield* UserService
        expect(Option.isNone(yield* users.bootstrap("root@example.test"))).toBe(true)
      }).pipe(fresh)
    )
  })

  describe("createUser and listUsers", () => {
    it.effect("lets an admin create users and records user.created.v1", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const users = yield* UserService
        const [user, events] = yield* recording(users.createUser(admin.actor, new CreateUser({ email: "grace@example.test", name: "Grace", role: "member" })))
        expect(user).toMatchObject({ email: "grace@example.test", name: "Grace", role: "member" })
        expect(yield* users.getUser(admin.actor, user.id)).toEqual(user)
        expect(events.map(summary)).toEqual([{ type: "user.created.v1", aggregateId: user.id, aggregateVersion: 1 }])
        expect(events[0]!.actor).toBe(admin.user.id)
        expect(events[0]!.payload).toEqual({ email: "grace@example.test", role: "member" })
      }).pipe(fresh)
    )

    it.effect("refuses members, and admins calling with a key that lacks the admin scope", () =>
      Effect.gen(function* () {
        yield* bootstrapAdmin
        const member = yield* signUp()
        const adminWithWriteKey = yield* signUp({ role: "admin", scopes: ["read", "write"] })
        const users = yield* UserService
        const input = new CreateUser({ email: "x@example.test", name: "X", role: "member" })
        for (const caller of [member, adminWithWriteKey]) {
          const [, events] = yield* recording(users.createUser(caller.actor, input).pipe(expectFailure("Forbidden")))
          expect(events).toEqual([])
          yield* users.listUsers(caller.actor, { limit: 10, cursor: null }).pipe(expectFailure("Forbidden"))
        }
      }).pipe(fresh)
    )

    it.effect("refuses a second user with the same email, whatever its case, and records nothing", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const users = yield* UserService
        yield* users.createUser(admin.actor, new CreateUser({ email: "ada@example.test", name: "Ada", role: "member" }))
        // As the HTTP layer decodes it: lower-cased.
        const shouted = yield* Schema.decodeUnknown(CreateUser)({ email: "ADA@Example.TEST", name: "Ada again" })
        const [error, events] = yield* recording(users.createUser(admin.actor, shouted).pipe(expectFailure("Conflict")))
        expect(error.message).toContain("ada@example.test")
        expect(events).toEqual([])
        const page = yield* users.listUsers(admin.actor, { limit: 50, cursor: null })
        expect(page.items.map((u) => u.email)).toEqual(["admin@example.test", "ada@example.test"])
      }).pipe(fresh)
    )

    it.effect("pages through every user exactly once and rejects a bad cursor", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        for (let i = 0; i < 6; i++) yield* signUp()
        const users = yield* UserService
        const seen: Array<string> = []
        let cursor: string | null = null
        let pages = 0
        do {
          const page: { readonly items: ReadonlyArray<{ readonly id: string }>; readonly nextCursor: string | null } = yield* users.listUsers(admin.actor, { limit: 3, cursor })
          seen.push(...page.items.map((u) => u.id))
          cursor = page.nextCursor
          pages++
        } while (cursor !== null)
        expect(pages).toBe(3)
        expect(seen).toHaveLength(7)
        expect(new Set(seen).size).toBe(7)
        expect([...seen].sort()).toEqual(seen)
        yield* users.listUsers(admin.actor, { limit: 3, cursor: "not-a-cursor" }).pipe(expectInvalid("cursor"))
      }).pipe(fresh)
    )
  })

  describe("getUser", () => {
    it.effect("shows users themselves and admins, hides others behind Forbidden, and unknown ids are NotFound", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const ada = yield* signUp()
        const bob = yield* signUp()
        const users = yield* UserService
        expect((yield* users.getUser(ada.actor, ada.user.id)).id).toBe(ada.user.id)
        expect((yield* users.getUser(admin.actor, ada.user.id)).id).toBe(ada.user.id)
        yield* users.getUser(bob.actor, ada.user.id).pipe(expectFailure("Forbidden"))
        yield* users.getUser(admin.actor, newId(UserId)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )
  })

  describe("API keys", () => {
    it.effect("issues fb_<12 hex>_<43 base64url> tokens and stores only the SHA-256 digest of the secret", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const repository = yield* ApiKeyRepository
        const [issued, events] = yield* recording(users.createKey(ada.actor, ada.user.id, aKey(["read"])))
        const match = TOKEN.exec(issued.token)
        expect(match).not.toBeNull()
        const [, prefix, secret] = match!
        expect(issued.key.prefix).toBe(prefix)

        const stored = Option.getOrThrow(yield* repository.findByPrefix(prefix!))
        expect(stored.key.id).toBe(issued.key.id)
        expect(stored.secretHash).not.toBe(issued.token)
        expect(stored.secretHash).toBe(sha256(secret!))
        expect(JSON.stringify(stored)).not.toContain(secret!)
        // The key as returned carries no digest at all.
        expect(Object.keys(issued.key)).not.toContain("secretHash")
        expect(events.map(summary)).toEqual([{ type: "apikey.created.v1", aggregateId: issued.key.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toEqual({ userId: ada.user.id, prefix, scopes: ["read"] })
      }).pipe(fresh)
    )

    it.effect("gives every key its own prefix and secret", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const tokens = yield* Effect.forEach([1, 2, 3], () => users.createKey(ada.actor, ada.user.id, aKey(["read"])))
        expect(new Set(tokens.map((t) => t.key.prefix)).size).toBe(3)
        expect(new Set(tokens.map((t) => t.token)).size).toBe(3)
        const listed = yield* users.listKeys(ada.actor, ada.user.id)
        expect(listed.map((k) => k.id)).toEqual([ada.actor.keyId, ...tokens.map((t) => t.key.id)])
      }).pipe(fresh)
    )

    it.effect("does not let a key grant a scope it does not have", () =>
      Effect.gen(function* () {
        const ada = yield* signUp({ scopes: ["read"] })
        const users = yield* UserService
        const [, events] = yield* recording(users.createKey(ada.actor, ada.user.id, aKey(["read", "write"])).pipe(expectInvalid("scopes")))
        expect(events).toEqual([])
        expect((yield* users.listKeys(ada.actor, ada.user.id)).map((k) => k.scopes)).toEqual([["read", "write"], ["read"]])
      }).pipe(fresh)
    )

    it.effect("reserves the admin scope for admin users, even when an admin issues the key", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const member = yield* signUp()
        const users = yield* UserService
        yield* users.createKey(member.actor, member.user.id, aKey(["admin"])).pipe(expectInvalid("scopes"))
        yield* users.createKey(admin.actor, member.user.id, aKey(["admin"])).pipe(expectInvalid("scopes"))
        const forAdmin = yield* users.createKey(admin.actor, admin.user.id, aKey(["admin"]))
        expect(forAdmin.key.scopes).toEqual(["admin"])
      }).pipe(fresh)
    )

    it.effect("lets users manage only their own keys unless they are admins", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const ada = yield* signUp()
        const bob = yield* signUp()
        const users = yield* UserService
        yield* users.createKey(bob.actor, ada.user.id, aKey(["read"])).pipe(expectFailure("Forbidden"))
        yield* users.listKeys(bob.actor, ada.user.id).pipe(expectFailure("Forbidden"))
        const issued = yield* users.createKey(admin.actor, ada.user.id, aKey(["write"]))
        expect(issued.key.userId).toBe(ada.user.id)
        expect((yield* users.listKeys(admin.actor, ada.user.id))).toHaveLength(2)
        yield* users.createKey(admin.actor, newId(UserId), aKey(["read"])).pipe(expectFailure("NotFound"))
        yield* users.listKeys(admin.actor, newId(UserId)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )

    it.effect("refuses an expiry that is not in the future", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const now = yield* DateTime.now
        yield* users.createKey(ada.actor, ada.user.id, aKey(["read"], now)).pipe(expectInvalid("expiresAt"))
        const later = yield* users.createKey(ada.actor, ada.user.id, aKey(["read"], DateTime.add(now, { days: 1 })))
        expect(later.key.expiresAt).toEqual(DateTime.add(now, { days: 1 }))
      }).pipe(fresh)
    )

    it.effect("issues keys by email for the CLI, and answers NotFound for an unknown email", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const auth = yield* AuthService
        const issued = yield* users.issueKeyByEmail(ada.user.email, aKey(["read"]))
        expect((yield* auth.authenticate(issued.token)).user.id).toBe(ada.user.id)
        yield* users.issueKeyByEmail("nobody@example.test", aKey(["read"])).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )

    it.effect("finds the user for a CLI key whatever the case or spacing of the email typed", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const issued = yield* users.issueKeyByEmail(` ${ada.user.email.toUpperCase()} `, aKey(["read"]))
        expect(issued.key.userId).toBe(ada.user.id)
      }).pipe(fresh)
    )

    it.effect("gives members a read+write CLI key and admins an admin one", () =>
      Effect.gen(function* () {
        const member = yield* signUp()
        const admin = yield* signUp({ role: "admin" })
        expect(member.actor.scopes).toEqual(["read", "write"])
        expect(admin.actor.scopes).toEqual(["admin"])
      }).pipe(fresh)
    )
  })

  describe("revokeKey", () => {
    it.effect("revokes the caller's own key at the current time and records apikey.revoked.v1", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const spare = yield* users.createKey(ada.actor, ada.user.id, aKey(["read"]))
        const [revoked, events] = yield* recording(users.revokeKey(ada.actor, spare.key.id))
        expect(revoked.revokedAt).toEqual(yield* DateTime.now)
        expect(events.map(summary)).toEqual([{ type: "apikey.revoked.v1", aggregateId: spare.key.id, aggregateVersion: 2 }])
      }).pipe(fresh)
    )

    it.effect("hides someone else's key from non-admins (NotFound) but lets admins revoke it", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const ada = yield* signUp()
        const bob = yield* signUp()
        const users = yield* UserService
        const keyId = ada.actor.keyId!
        const [, events] = yield* recording(users.revokeKey(bob.actor, keyId).pipe(expectFailure("NotFound")))
        expect(events).toEqual([])
        expect((yield* users.listKeys(ada.actor, ada.user.id))[0]!.revokedAt).toBeNull()
        const revoked = yield* users.revokeKey(admin.actor, keyId)
        expect(revoked.revokedAt).not.toBeNull()
        yield* users.revokeKey(admin.actor, newId(ApiKeyId)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )

    it.effect("is idempotent: revoking a revoked key keeps its revokedAt and records no second event", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const users = yield* UserService
        const spare = yield* users.createKey(ada.actor, ada.user.id, aKey(["read"]))
        const first = yield* users.revokeKey(ada.actor, spare.key.id)
        yield* TestClock.adjust(Duration.hours(1))
        const [again, events] = yield* recording(users.revokeKey(ada.actor, spare.key.id))
        expect(again.revokedAt).toEqual(first.revokedAt)
        // A second apikey.revoked.v1 would repeat aggregate version 2 for a change that did not happen.
        expect(events).toEqual([])
      }).pipe(fresh)
    )
  })
})
