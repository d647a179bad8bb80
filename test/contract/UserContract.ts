import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { uuidv7 } from "../../src/domain/Ids.js"
import { User } from "../../src/domain/Model.js"
import { UserRepository } from "../../src/repositories/UserRepository.js"
import { allPages, expectNone, expectSome, ids } from "./Assertions.js"
import { aUser, at, givenUser, unique } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const userContract = (it: ContractIt) =>
  describe("UserRepository", () => {
    it.effect("stores a user and finds it by id and by email, to the millisecond", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        const user = aUser({ role: "admin", createdAt: at(987) })
        expect(yield* users.insert(user)).toBe(true)
        expectSome(User, yield* users.findById(user.id), user)
        expectSome(User, yield* users.findByEmail(user.email), user)
      }))

    it.effect("finds nothing for an unknown id or email", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        expectNone(yield* users.findById(aUser().id))
        expectNone(yield* users.findByEmail(`nobody-${unique()}@example.test`))
      }))

    it.effect("answers false for a taken email and keeps the first user", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        const first = yield* givenUser({ name: "First" })
        const second = aUser({ email: first.email, name: "Second" })
        expect(yield* users.insert(second)).toBe(false)
        expectNone(yield* users.findById(second.id))
        expectSome(User, yield* users.findByEmail(first.email), first)
      }))

    it.effect("counts every stored user", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        const before = yield* users.count
        yield* givenUser()
        yield* givenUser()
        // Other suites may add users concurrently; none are ever removed.
        expect((yield* users.count) - before).toBeGreaterThanOrEqual(2)
      }))

    it.effect("pages through users in id order, each exactly once", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        // Ids are time-ordered: this one sorts before every user created below.
        const start = uuidv7()
        const mine: Array<string> = []
        for (let i = 0; i < 7; i++) mine.push((yield* givenUser()).id)
        const pages = yield* allPages(users.list, 3, start)
        const seen = pages.flatMap(ids)
        expect(new Set(seen).size).toBe(seen.length)
        expect([...seen].sort()).toStrictEqual(seen)
        expect(seen.filter((id) => mine.includes(id))).toStrictEqual(mine)
        expect(pages.length).toBeGreaterThanOrEqual(3)
      }))

    it.effect("returns limit + 1 rows in id order after the cursor id", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        const start = uuidv7()
        const created = [yield* givenUser(), yield* givenUser(), yield* givenUser()]
        const rows = yield* users.list({ limit: 2, after: start })
        expect(rows).toHaveLength(3)
        expect(ids(rows).every((id) => id > start)).toBe(true)
        expect([...ids(rows)].sort()).toStrictEqual(ids(rows))
        const afterFirst = yield* users.list({ limit: 1, after: created[0]!.id })
        expect(afterFirst).toHaveLength(2)
        expect(ids(afterFirst)).not.toContain(created[0]!.id)
      }))
  })
