import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { EventId, newId } from "../../src/domain/Ids.js"
import { InboxRepository } from "../../src/repositories/InboxRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { at, unique } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** The idempotency check of the consumer runtime: one row per (handler, event), transactional. */
export const inboxContract = (it: ContractIt) =>
  describe("InboxRepository", () => {
    it.effect("records a (handler, event) pair once; other handlers have their own", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const [handler, event] = [`h-${unique()}`, newId(EventId)]
        expect(yield* inbox.contains(handler, event)).toBe(false)
        expect(yield* inbox.record(handler, event, at(0))).toBe(true)
        expect(yield* inbox.record(handler, event, at(1))).toBe(false)
        expect(yield* inbox.contains(handler, event)).toBe(true)
        expect(yield* inbox.record(`${handler}-other`, event, at(0))).toBe(true)
      }))

    it.effect("recordMany records the new pairs in one call, a repeated id once, and answers the fresh ids", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const handler = `h-${unique()}`
        const [a, b, c] = [newId(EventId), newId(EventId), newId(EventId)]
        expect(yield* inbox.record(handler, a, at(0))).toBe(true)
        const fresh = yield* inbox.recordMany(handler, [c, a, b, c], at(1))
        expect([...fresh].sort()).toEqual([b, c].sort())
        expect((yield* inbox.recordMany(handler, [a, b, c], at(2))).size).toBe(0)
        expect(yield* inbox.contains(handler, c)).toBe(true)
      }))

    it.effect("a row recorded in a unit that fails is gone with it", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const { transaction } = yield* Transactor
        const [handler, event] = [`h-${unique()}`, newId(EventId)]
        yield* Effect.flip(transaction(Effect.zipRight(inbox.record(handler, event, at(0)), Effect.fail("handler failed"))))
        expect(yield* inbox.contains(handler, event)).toBe(false)
      }))
  })
