import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ApiKey, User } from "../../src/domain/Model.js"
import { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import { expectNone, expectSame, expectSome, failureTag, ids } from "./Assertions.js"
import { anApiKey, aUser, at, givenUser, unique } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const apiKeyContract = (it: ContractIt) =>
  describe("ApiKeyRepository", () => {
    it.effect("stores a key and finds it, with its digest, by prefix", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const user = yield* givenUser()
        const stored = anApiKey(user.id, { scopes: ["write", "read", "admin"], expiresAt: at(86_400_001) })
        yield* keys.insert(stored)
        const found = yield* keys.findByPrefix(stored.key.prefix)
        expect(Option.map(found, (s) => s.secretHash)).toStrictEqual(Option.some(stored.secretHash))
        expectSome(ApiKey, Option.map(found, (s) => s.key), stored.key)
        expectSome(ApiKey, yield* keys.findById(stored.key.id), stored.key)
      }))

    it.effect("finds nothing for an unknown prefix or id", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        expectNone(yield* keys.findByPrefix(`fbk_${unique()}`))
        expectNone(yield* keys.findById(anApiKey(aUser().id).key.id))
      }))

    it.effect("lists a user's keys in id order, and no one else's", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const user = yield* givenUser()
        const other = yield* givenUser()
        const [first, second, third] = [anApiKey(user.id), anApiKey(user.id), anApiKey(user.id)]
        for (const stored of [third, anApiKey(other.id), first, second]) yield* keys.insert(stored)
        expect(ids(yield* keys.listByUser(user.id))).toStrictEqual([first.key.id, second.key.id, third.key.id])
        expect(yield* keys.listByUser((yield* givenUser()).id)).toStrictEqual([])
      }))

    it.effect("revokes once: a second revoke finds nothing to revoke and keeps the first time", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const stored = anApiKey((yield* givenUser()).id)
        yield* keys.insert(stored)
        const revoked = new ApiKey({ ...stored.key, revokedAt: at(1_001) })
        expectSome(ApiKey, yield* keys.revoke(stored.key.id, at(1_001)), revoked)
        expectNone(yield* keys.revoke(stored.key.id, at(2_002)))
        expectSome(ApiKey, yield* keys.findById(stored.key.id), revoked)
      }))

    it.effect("revoking an unknown key finds nothing", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        expectNone(yield* keys.revoke(anApiKey(aUser().id).key.id, at(1)))
      }))

    it.effect("touch records the latest use and changes nothing else", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const stored = anApiKey((yield* givenUser()).id, { revokedAt: at(7) })
        yield* keys.insert(stored)
        yield* keys.touch(stored.key.id, at(3_003))
        expectSome(ApiKey, yield* keys.findById(stored.key.id), new ApiKey({ ...stored.key, lastUsedAt: at(3_003) }))
        yield* keys.touch(stored.key.id, at(4_004))
        const found = yield* keys.findByPrefix(stored.key.prefix)
        expectSome(ApiKey, Option.map(found, (s) => s.key), new ApiKey({ ...stored.key, lastUsedAt: at(4_004) }))
        expect(Option.map(found, (s) => s.secretHash)).toStrictEqual(Option.some(stored.secretHash))
      }))

    it.effect("finds a key's identity (key, digest and user) by prefix in one read", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const user = yield* givenUser({ role: "admin" })
        const stored = anApiKey(user.id, { scopes: ["read"], expiresAt: at(9_009) })
        yield* keys.insert(stored)
        yield* keys.insert(anApiKey((yield* givenUser()).id))
        const found = yield* keys.findIdentity(stored.key.prefix)
        expectSome(ApiKey, Option.map(found, (s) => s.key), stored.key)
        expectSome(User, Option.map(found, (s) => s.user), user)
        expect(Option.map(found, (s) => s.secretHash)).toStrictEqual(Option.some(stored.secretHash))
        expectNone(yield* keys.findIdentity(`fbk_${unique()}`))
      }))

    it.effect("touchMany records many uses at once and never moves a time backwards", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const user = yield* givenUser()
        const [a, b, c] = [anApiKey(user.id), anApiKey(user.id, { lastUsedAt: at(5_000) }), anApiKey(user.id)]
        for (const stored of [a, b, c]) yield* keys.insert(stored)
        yield* keys.touchMany([
          { id: a.key.id, at: at(2_000) },
          { id: b.key.id, at: at(4_000) }
        ])
        expectSome(ApiKey, yield* keys.findById(a.key.id), new ApiKey({ ...a.key, lastUsedAt: at(2_000) }))
        expectSome(ApiKey, yield* keys.findById(b.key.id), b.key)
        expectSome(ApiKey, yield* keys.findById(c.key.id), c.key)
        yield* keys.touchMany([])
      }))

    it.effect("a taken prefix is a fault, and the first key stays as it was", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const user = yield* givenUser()
        const first = anApiKey(user.id)
        yield* keys.insert(first)
        const clash = anApiKey(user.id, { prefix: first.key.prefix })
        expect(yield* failureTag(keys.insert(clash))).toBe("RepositoryError")
        expectNone(yield* keys.findById(clash.key.id))
        const found = yield* keys.findByPrefix(first.key.prefix)
        expectSame(ApiKey, Option.getOrThrow(found).key, first.key)
      }))

    it.effect("a key of an unknown user is a fault", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyRepository
        const stored = anApiKey(aUser().id)
        expect(yield* failureTag(keys.insert(stored))).toBe("RepositoryError")
        expectNone(yield* keys.findById(stored.key.id))
      }))
  })
