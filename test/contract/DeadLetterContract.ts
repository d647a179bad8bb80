import { describe, expect } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { DeadLetterId, type Failure } from "../../src/domain/DeadLetter.js"
import { newId, UserId } from "../../src/domain/Ids.js"
import { DeadLetterRepository } from "../../src/repositories/DeadLetterRepository.js"
import { allPages } from "./Assertions.js"
import { anEnvelope, at, unique } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

const aFailure = (fields: Partial<Failure> = {}): Failure => ({
  attempts: 3,
  firstFailedAt: at(1_000),
  lastFailedAt: at(5_000),
  error: "downstream refused",
  cause: "HandlerError: downstream refused",
  causeChain: [
    { kind: "failure", tag: "HandlerError", message: "downstream refused" },
    { kind: "cause", tag: "Error", message: "ECONNRESET" }
  ],
  ...fields
})

/** Where handlers' given-up events wait for an operator: upsert per (handler, event), filters, pages. */
export const deadLetterContract = (it: ContractIt) =>
  describe("DeadLetterRepository", () => {
    it.effect("stores a letter with its envelope and failure, exactly as given", () =>
      Effect.gen(function* () {
        const letters = yield* DeadLetterRepository
        const envelope = anEnvelope({ correlationId: "corr-1", payload: { snake_case: { inner_key: [1, null] } } })
        const handler = `h-${unique()}`
        const stored = yield* letters.record({ id: newId(DeadLetterId), handler, envelope, failure: aFailure(), createdAt: at(6_000) })
        const found = Option.getOrThrow(yield* letters.findById(stored.id))
        expect(found).toStrictEqual(stored)
        expect({ ...found.envelope, occurredAt: DateTime.formatIso(found.envelope.occurredAt) }).toStrictEqual({
          ...envelope,
          occurredAt: DateTime.formatIso(envelope.occurredAt)
        })
        expect([found.handler, found.eventId, found.eventType, found.status, found.replayedAt, found.attempts]).toStrictEqual([
          handler, envelope.id, envelope.type, "pending", null, 3
        ])
        expect(found.causeChain).toStrictEqual(aFailure().causeChain)
      }))

    it.effect("a second failure of the same (handler, event) folds into its letter", () =>
      Effect.gen(function* () {
        const letters = yield* DeadLetterRepository
        const [handler, envelope] = [`h-${unique()}`, anEnvelope()]
        const first = yield* letters.record({ id: newId(DeadLetterId), handler, envelope, failure: aFailure(), createdAt: at(6_000) })
        yield* letters.markReplayed(first.id, newId(UserId), at(7_000))
        const again = yield* letters.record({
          id: newId(DeadLetterId), handler, envelope, createdAt: at(9_000),
          failure: aFailure({ attempts: 1, firstFailedAt: at(8_000), lastFailedAt: at(8_000), error: "still broken" })
        })
        expect([again.id, again.attempts, again.firstFailedAt, again.lastFailedAt, again.error, again.status, again.replayedBy]).toStrictEqual([
          first.id, 4, at(1_000), at(8_000), "still broken", "pending", null
        ])
      }))

    it.effect("lists by handler and status in id order, page by page; marks replayed; removes", () =>
      Effect.gen(function* () {
        const letters = yield* DeadLetterRepository
        const handler = `h-${unique()}`
        const ids: Array<string> = []
        for (let i = 0; i < 5; i++) {
          const letter = yield* letters.record({ id: newId(DeadLetterId), handler, envelope: anEnvelope(), failure: aFailure(), createdAt: at(i) })
          ids.push(letter.id)
        }
        const all = { handler, status: null }
        expect((yield* allPages((page) => letters.list(all, page), 2)).map((page) => page.map((l) => l.id))).toStrictEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)])

        const by = newId(UserId)
        expect(yield* letters.markReplayed(DeadLetterId.make(ids[1]!), by, at(10))).toBe(true)
        const replayed = yield* letters.list({ handler, status: "replayed" }, { limit: 10, after: null })
        expect(replayed.map((l) => [l.id, l.replayedBy, l.replayedAt])).toStrictEqual([[ids[1], by, at(10)]])
        expect((yield* letters.list({ handler, status: "pending" }, { limit: 10, after: null })).map((l) => l.id)).toStrictEqual(ids.filter((_, i) => i !== 1))

        expect(yield* letters.remove(DeadLetterId.make(ids[0]!))).toBe(true)
        expect(yield* letters.remove(DeadLetterId.make(ids[0]!))).toBe(false)
        expect(Option.isNone(yield* letters.findById(DeadLetterId.make(ids[0]!)))).toBe(true)
        expect(yield* letters.markReplayed(DeadLetterId.make(ids[0]!), by, at(11))).toBe(false)
      }))
  })
