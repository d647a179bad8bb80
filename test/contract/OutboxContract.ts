import { describe, expect } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { failureTag, ids } from "./Assertions.js"
import { anEnvelope, at } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** Timestamps as ISO strings, so a changed millisecond shows in the diff. */
const plain = (event: OutboxEnvelope) => ({ ...event, occurredAt: DateTime.formatIso(event.occurredAt) })

export const outboxContract = (it: ContractIt) =>
  describe("OutboxRepository", () => {
    it.effect("stores envelopes as given and lists every event in id order", () =>
      Effect.gen(function* () {
        const outbox = yield* OutboxRepository
        const bare = anEnvelope({ occurredAt: at(31) })
        const stamped = anEnvelope({
          type: "project.moved.v1", aggregateType: "project", aggregateVersion: 7, occurredAt: at(32),
          actor: "user:42", correlationId: "corr-1", causationId: "cause-1",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        })
        yield* outbox.append([stamped])
        yield* outbox.append([bare])
        yield* outbox.append([])
        const all = yield* outbox.listAll
        expect([...ids(all)].sort()).toStrictEqual(ids(all))
        const mine = all.filter((event) => event.id === bare.id || event.id === stamped.id)
        expect(mine.map(plain)).toStrictEqual([bare, stamped].map(plain))
      }))

    it.effect("a batch is stored whole or not at all", () =>
      Effect.gen(function* () {
        const outbox = yield* OutboxRepository
        const stored = anEnvelope()
        yield* outbox.append([stored])
        const fresh = anEnvelope()
        expect(yield* failureTag(outbox.append([fresh, anEnvelope({ id: stored.id })]))).toBe("RepositoryError")
        const all = ids(yield* outbox.listAll)
        expect(all).not.toContain(fresh.id)
        expect(all.filter((id) => id === stored.id)).toHaveLength(1)
      }))
  })
