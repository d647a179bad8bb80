/**
 * What every EventTransport must do, run against Redis Streams and the in-process transport.
 * Each test builds a fresh transport (its own key prefix on Redis), so counts are exact. Timing
 * is real: Redis measures idle time on its own clock. Waits are kept to a few tens of ms.
 */
import { expect, it } from "@effect/vitest"
import { type Context, DateTime, Effect, Fiber, type Scope } from "effect"
import type { OutboxEnvelope } from "../../../src/domain/Events.js"
import type { Delivery, EventTransport, Priority } from "../../../src/events/EventTransport.js"
import { anEnvelope } from "../../contract/Fixtures.js"

type Transport = Context.Tag.Service<EventTransport>

export interface TransportHarness {
  readonly transport: Transport
  /** Loses every stream and group, as a Redis restart without persistence or a FLUSHALL does. */
  readonly forget?: Effect.Effect<void>
}

const plain = (envelope: OutboxEnvelope) => ({ ...envelope, occurredAt: DateTime.formatIso(envelope.occurredAt) })
const ids = (deliveries: ReadonlyArray<Delivery>) => deliveries.map((d) => d.envelope.id)
const at = (priority: Priority) => (envelope: OutboxEnvelope) => ({ envelope, priority })
const events = (n: number) => Array.from({ length: n }, () => anEnvelope())
const read = (t: Transport, group: string, consumer: string, count: number, claimIdleMs = 10_000, blockMs = 0) =>
  t.read({ group, consumer, count, blockMs, claimIdleMs })

/** Reads with `count` until a read comes back empty. */
const drain = (t: Transport, group: string, count: number) =>
  Effect.gen(function* () {
    const all: Array<Delivery> = []
    while (true) {
      const batch = yield* read(t, group, "drainer", count)
      if (batch.length === 0) return all
      all.push(...batch)
    }
  })

export const transportContract = <E>(
  make: Effect.Effect<TransportHarness, E, Scope.Scope>,
  options: { readonly canForget: boolean }
) => {
  const test = (name: string, body: (h: TransportHarness) => Effect.Effect<void, unknown>) =>
    it.scopedLive(name, () => Effect.flatMap(make, body))

  test("fans each entry out to every group, in publish order, first delivery counted 1", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("a")
      yield* t.ensureGroup("a") // idempotent
      yield* t.ensureGroup("b")
      const sent = events(3)
      yield* t.publish(sent.map(at("default")))
      for (const group of ["a", "b"]) {
        const got = yield* read(t, group, `${group}1`, 10)
        expect(got.map((d) => plain(d.envelope))).toEqual(sent.map(plain))
        expect(got.map((d) => [d.priority, d.deliveryCount])).toEqual(sent.map(() => ["default", 1]))
      }
    }))

  test("an acknowledged entry leaves the pending list and is never handed out again", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      yield* t.publish(events(2).map(at("high")))
      const [first, second] = yield* read(t, "g", "c1", 10)
      expect(yield* t.lag("g")).toEqual({ pending: 2, backlog: 0 })
      yield* t.ack("g", [first!])
      expect(yield* t.lag("g")).toEqual({ pending: 1, backlog: 0 })
      const again = yield* read(t, "g", "c2", 10, 0)
      expect(ids(again)).toEqual([second!.envelope.id])
      yield* t.ack("g", again)
      expect(yield* read(t, "g", "c3", 10, 0)).toEqual([])
      expect(yield* t.lag("g")).toEqual({ pending: 0, backlog: 0 })
    }))

  test("lag counts pending and undelivered entries over all priorities, per group", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      yield* t.ensureGroup("idle")
      yield* t.publish([...events(2).map(at("high")), ...events(3).map(at("low"))])
      yield* read(t, "g", "c1", 2)
      expect(yield* t.lag("g")).toEqual({ pending: 2, backlog: 3 })
      expect(yield* t.lag("idle")).toEqual({ pending: 0, backlog: 5 })
      expect(yield* t.lag("no-such-group")).toEqual({ pending: 0, backlog: 0 })
    }))

  test("an entry its consumer never acknowledged goes to another after claimIdle, counted 2", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      const [event] = events(1)
      yield* t.publish([at("default")(event!)])
      expect(ids(yield* read(t, "g", "dies", 10, 60))).toEqual([event!.id])
      expect(yield* read(t, "g", "survivor", 10, 60)).toEqual([]) // not idle long enough yet
      yield* Effect.sleep("90 millis")
      const claimed = yield* read(t, "g", "survivor", 10, 60)
      expect(claimed.map((d) => [d.envelope.id, d.deliveryCount])).toEqual([[event!.id, 2]])
      yield* t.ack("g", claimed)
      expect(yield* t.lag("g")).toEqual({ pending: 0, backlog: 0 })
    }))

  test("keeps publish order within a priority across many reads and batches", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      const sent = events(25)
      yield* t.publish(sent.slice(0, 10).map(at("low")))
      yield* t.publish(sent.slice(10).map(at("low")))
      expect(ids(yield* drain(t, "g", 7))).toEqual(sent.map((e) => e.id))
    }))

  test("drains high first, yet low still progresses while high has a backlog", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      const low = events(20)
      const high = events(100)
      yield* t.publish([...low.map(at("low")), ...high.map(at("high"))])
      const first = yield* read(t, "g", "c", 5)
      expect(first.map((d) => d.priority)).toEqual(["high", "high", "high", "high", "high"])
      const later: Array<Delivery> = []
      for (let i = 0; i < 9; i++) later.push(...(yield* read(t, "g", "c", 5)))
      const lows = later.filter((d) => d.priority === "low")
      expect(lows.length).toBeGreaterThanOrEqual(5)
      expect((yield* t.lag("g")).backlog).toBeGreaterThan(0) // high was not drained yet
      // Order still holds within each priority.
      expect(ids(lows)).toEqual(low.slice(0, lows.length).map((e) => e.id))
      const all = [...first, ...later, ...(yield* drain(t, "g", 50))]
      expect(new Set(ids(all)).size).toBe(120)
    }))

  test("trimming removes only what every group has acknowledged", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("a")
      yield* t.ensureGroup("b")
      const sent = events(5)
      yield* t.publish(sent.map(at("default")))
      const a = yield* read(t, "a", "a1", 5)
      yield* t.ack("a", a.slice(0, 3))
      yield* t.ack("b", yield* read(t, "b", "b1", 2))
      // a still holds 4 and 5; b has not read 3 yet: only 1 and 2 may go.
      expect(yield* t.trim).toBe(2)
      const aAgain = yield* read(t, "a", "a2", 5, 0)
      expect(aAgain.map((d) => [d.envelope.id, d.deliveryCount])).toEqual([[sent[3]!.id, 2], [sent[4]!.id, 2]])
      const bRest = yield* read(t, "b", "b1", 5)
      expect(ids(bRest)).toEqual(sent.slice(2).map((e) => e.id))
      yield* t.ack("a", aAgain)
      yield* t.ack("b", bRest)
      expect(yield* t.trim).toBe(3)
      expect(yield* t.trim).toBe(0)
    }))

  // No elapsed-time assertions: the blocks below are far longer than the test may take, so a read
  // that returns at all did not sit out its block; `within` only turns a hang into a failure.
  const within = <A, E>(effect: Effect.Effect<A, E>) =>
    effect.pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "the read waited out its block" as const }))

  test("a blocked read wakes as soon as an entry arrives, and times out empty", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("g")
      expect(yield* read(t, "g", "c", 1, 10_000, 80)).toEqual([])
      const waiting = yield* Effect.fork(read(t, "g", "c", 1, 10_000, 600_000))
      yield* Effect.sleep("30 millis")
      const [event] = events(1)
      yield* t.publish([at("low")(event!)])
      expect(ids(yield* within(Fiber.join(waiting)))).toEqual([event!.id])
    }))

  test("one consumer reading two groups: a read never waits behind the other group's wait", ({ transport: t }) =>
    Effect.gen(function* () {
      yield* t.ensureGroup("a")
      yield* t.ensureGroup("b")
      const other = yield* Effect.fork(read(t, "a", "worker-1", 1, 10_000, 600_000))
      yield* Effect.sleep("20 millis")
      expect(yield* within(read(t, "b", "worker-1", 1, 10_000, 60))).toEqual([])
      yield* Fiber.interrupt(other)
    }))

  // An in-process transport cannot lose its groups without losing itself.
  if (!options.canForget) return
  test("re-creates a group the server lost and delivers what was published after", ({ forget, transport: t }) =>
    Effect.gen(function* () {
      if (forget === undefined) return yield* Effect.dieMessage("the harness gives no way to forget")
      yield* t.ensureGroup("g")
      yield* t.publish(events(1).map(at("high")))
      const lost = yield* read(t, "g", "c", 10)
      yield* forget
      const sent = events(2)
      yield* t.publish(sent.map(at("default")))
      yield* t.ack("g", lost) // the group is gone: nothing to acknowledge, and no failure
      expect(ids(yield* read(t, "g", "c", 10))).toEqual(sent.map((e) => e.id))
      expect(yield* t.lag("g")).toEqual({ pending: 2, backlog: 0 })
    }))
}
