import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { blockLength, decide } from "../../../src/security/Gcra.js"
import { makeMemoryRateLimitStore } from "../../../src/security/RateLimitStore.js"
import { rateLimitStoreContract } from "../../contract/RateLimitStoreContract.js"

describe("GCRA", () => {
  it("spends a budget evenly: after a burst, one request fits per share of the period", () => {
    const policy = { limit: 4, periodMs: 1000 }
    let tat: number | undefined
    for (let i = 0; i < 4; i++) {
      const d = decide(tat, 0, policy, 1)
      expect(d.allowed).toBe(true)
      tat = d.tat
    }
    expect(decide(tat, 0, policy, 1)).toMatchObject({ allowed: false, retryAfterMs: 250, resetMs: 1000 })
    expect(decide(tat, 249, policy, 1).allowed).toBe(false)
    expect(decide(tat, 250, policy, 1)).toMatchObject({ allowed: true, remaining: 0 })
    // A full period later the whole quota is back.
    expect(decide(tat, 1000, policy, 1)).toMatchObject({ allowed: true, remaining: 3 })
  })

  it("a cost larger than the quota is never allowed", () => {
    expect(decide(undefined, 0, { limit: 2, periodMs: 1000 }, 3).allowed).toBe(false)
  })

  it("blocks double with each strike, up to the cap", () => {
    expect([1, 2, 3, 4, 10, 100].map((n) => blockLength(n, 60_000, 3_600_000))).toEqual([60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000])
  })
})

let counter = 0
describe("the in-memory rate-limit store", () => {
  rateLimitStoreContract("memory", Effect.sync(() => makeMemoryRateLimitStore(10_000)), (key) => `${key}-${++counter}`)

  it.effect("refills on the clock: a refused client gets one request per share of the window", () =>
    Effect.gen(function* () {
      const store = makeMemoryRateLimitStore(100)
      const charge = [{ key: "k", policy: { limit: 2, periodMs: 60_000 }, cost: 1 }]
      const allowed = () => Effect.map(store.admit([], charge), (a) => a._tag === "Decided" && a.decisions[0]!.allowed)
      expect([yield* allowed(), yield* allowed(), yield* allowed()]).toEqual([true, true, false])
      yield* TestClock.adjust(Duration.seconds(29))
      expect(yield* allowed()).toBe(false)
      yield* TestClock.adjust(Duration.seconds(1))
      expect([yield* allowed(), yield* allowed()]).toEqual([true, false])
    }))

  it.effect("a block ends when its time is up, and the next one within a day lasts twice as long", () =>
    Effect.gen(function* () {
      const store = makeMemoryRateLimitStore(100)
      const failure = { subjects: ["address:192.0.2.1"], policy: { limit: 1, periodMs: 60_000 }, baseMs: 60_000, maxMs: 3_600_000 }
      const blocked = () => Effect.map(store.admit(["address:192.0.2.1"], []), (a) => a._tag === "Blocked")
      yield* store.fail(failure)
      expect((yield* store.fail(failure)).map((b) => b.durationMs)).toEqual([60_000])
      expect(yield* blocked()).toBe(true)
      yield* TestClock.adjust(Duration.seconds(60))
      expect(yield* blocked()).toBe(false)
      yield* store.fail(failure)
      expect((yield* store.fail(failure)).map((b) => [b.durationMs, b.strikes])).toEqual([[120_000, 2]])
      yield* TestClock.adjust(Duration.seconds(60))
      expect(yield* blocked()).toBe(true)
      yield* TestClock.adjust(Duration.seconds(60))
      expect(yield* blocked()).toBe(false)
    }))

  it.effect("keeps at most its capacity of buckets: a flood of addresses costs bounded memory, the oldest forgotten first", () =>
    Effect.gen(function* () {
      const store = makeMemoryRateLimitStore(100)
      const policy = { limit: 1, periodMs: 60_000 }
      const allowed = (key: string) => Effect.map(store.admit([], [{ key, policy, cost: 1 }]), (a) => a._tag === "Decided" && a.decisions[0]!.allowed)
      yield* allowed("first")
      expect(yield* allowed("first")).toBe(false)
      for (let i = 0; i < 100; i++) yield* allowed(`flood-${i}`)
      // Evicted: its spent budget is forgotten (the price of the bound), the recent ones are not.
      expect(yield* allowed("first")).toBe(true)
      expect(yield* allowed("flood-99")).toBe(false)
    }))
})
