import { expect, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import type { RateLimitStore } from "../../src/security/RateLimitStore.js"

type Store = typeof RateLimitStore.Service

/**
 * What every rate-limit store must do, whatever its clock: budgets that refuse past their quota
 * and spend nothing when refused, all-or-nothing across budgets, blocks that follow repeated
 * failures, grow, and refuse everything of their subject. Nothing here waits for time to pass
 * (the Redis store runs on Redis's clock): refills are tested on the memory store's `TestClock`.
 * `fresh` makes keys of the test's own.
 */
export const rateLimitStoreContract = (name: string, make: Effect.Effect<Store, never, Scope.Scope>, fresh: (key: string) => string) => {
  const minute = (limit: number) => ({ limit, periodMs: 60_000 })

  it.scoped(`${name}: a budget allows its quota at once, then refuses, saying when one more fits`, () =>
    Effect.gen(function* () {
      const store = yield* make
      const key = fresh("burst")
      const outcomes = []
      for (let i = 0; i < 6; i++) outcomes.push(yield* store.admit([], [{ key, policy: minute(5), cost: 1 }]))
      const decisions = outcomes.map((o) => (o._tag === "Decided" ? o.decisions[0]! : null))
      expect(decisions.map((d) => d?.allowed)).toEqual([true, true, true, true, true, false])
      expect(decisions.slice(0, 5).map((d) => d?.remaining)).toEqual([4, 3, 2, 1, 0])
      // One request's share of the minute, give or take the milliseconds between the calls.
      expect(decisions[5]!.retryAfterMs).toBeGreaterThan(11_000)
      expect(decisions[5]!.retryAfterMs).toBeLessThanOrEqual(12_000)
      expect(decisions[5]!.resetMs).toBeGreaterThan(59_000)
    }))

  it.scoped(`${name}: a request refused by one budget spends none of the others`, () =>
    Effect.gen(function* () {
      const store = yield* make
      const write = fresh("write")
      const expensive = fresh("expensive")
      const both = [{ key: write, policy: minute(10), cost: 1 }, { key: expensive, policy: minute(1), cost: 1 }]
      const first = yield* store.admit([], both)
      const second = yield* store.admit([], both)
      expect(first._tag === "Decided" && first.decisions.every((d) => d.allowed)).toBe(true)
      expect(second._tag === "Decided" && second.decisions.map((d) => d.allowed)).toEqual([true, false])
      // The write budget was charged once, not twice: 8 left after the next.
      const third = yield* store.admit([], [both[0]!])
      expect(third._tag === "Decided" && third.decisions[0]!.remaining).toBe(8)
    }))

  it.scoped(`${name}: failures beyond the allowance block the subject, once, and a block refuses every request of it`, () =>
    Effect.gen(function* () {
      const store = yield* make
      const address = fresh("address")
      const prefix = fresh("prefix")
      const failure = { subjects: [address, prefix], policy: minute(3), baseMs: 60_000, maxMs: 3_600_000 }
      const blocked = []
      for (let i = 0; i < 5; i++) blocked.push(yield* store.fail(failure))
      // Three failures allowed, the fourth blocks both subjects, the fifth blocks nothing new.
      expect(blocked.map((b) => b.length)).toEqual([0, 0, 0, 2, 0])
      expect(blocked[3]!.map((b) => [b.subject, b.durationMs, b.strikes])).toEqual([[address, 60_000, 1], [prefix, 60_000, 1]])
      const admitted = yield* store.admit([fresh("elsewhere"), prefix], [{ key: fresh("budget"), policy: minute(100), cost: 1 }])
      expect(admitted._tag).toBe("Blocked")
      if (admitted._tag === "Blocked") {
        expect(admitted.subject).toBe(prefix)
        expect(admitted.retryAfterMs).toBeGreaterThan(59_000)
      }
      expect((yield* store.admit([fresh("other")], [{ key: fresh("budget2"), policy: minute(100), cost: 1 }]))._tag).toBe("Decided")
    }))
}
