import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import { anEnvelope } from "../../contract/Fixtures.js"

const publishOne = (t: Effect.Effect.Success<ReturnType<typeof InProcessTransport.make>>) => {
  const envelope = anEnvelope()
  return Effect.as(t.publish([{ envelope, priority: "default" }]), envelope)
}

describe("InProcessTransport on the TestClock", () => {
  it.scoped("claims an unacknowledged entry only once it has been idle claimIdleMs, counting deliveries", () =>
    Effect.gen(function* () {
      const t = yield* InProcessTransport.make()
      const event = yield* publishOne(t)
      const options = { group: "g", count: 10, blockMs: 0, claimIdleMs: 30_000 }
      expect(yield* t.read({ ...options, consumer: "c1" })).toHaveLength(1)
      yield* TestClock.adjust("29999 millis")
      expect(yield* t.read({ ...options, consumer: "c2" })).toEqual([])
      yield* TestClock.adjust("1 millis")
      const second = yield* t.read({ ...options, consumer: "c2" })
      expect(second.map((d) => [d.envelope.id, d.deliveryCount])).toEqual([[event.id, 2]])
      // Claiming restarts the idle time.
      yield* TestClock.adjust("29 seconds")
      expect(yield* t.read({ ...options, consumer: "c3" })).toEqual([])
      yield* TestClock.adjust("1 second")
      expect((yield* t.read({ ...options, consumer: "c3" })).map((d) => d.deliveryCount)).toEqual([3])
    }))

  it.scoped("a blocking read returns empty exactly when blockMs has passed", () =>
    Effect.gen(function* () {
      const t = yield* InProcessTransport.make()
      const fiber = yield* Effect.fork(t.read({ group: "g", consumer: "c", count: 1, blockMs: 5_000, claimIdleMs: 1_000 }))
      yield* TestClock.adjust("4999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toEqual([])
    }))

  it.scoped("trims acknowledged entries on its own every trimInterval", () =>
    Effect.gen(function* () {
      const t = yield* InProcessTransport.make({ trimInterval: "10 seconds" })
      yield* t.ensureGroup("g")
      yield* publishOne(t)
      yield* publishOne(t)
      yield* t.ack("g", yield* t.read({ group: "g", consumer: "c", count: 10, blockMs: 0, claimIdleMs: 1_000 }))
      yield* TestClock.adjust("10 seconds")
      // Already trimmed by the loop: nothing left to trim, and a group created now (which starts
      // at the oldest retained entry) finds nothing.
      expect(yield* t.trim).toBe(0)
      yield* t.ensureGroup("late")
      expect(yield* t.lag("late")).toEqual({ pending: 0, backlog: 0 })
    }))
})
