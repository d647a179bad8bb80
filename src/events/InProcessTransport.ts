/**
 * The event transport in memory, for embedded mode and tests: the semantics of Redis Streams
 * consumer groups (see RedisStreamsTransport) without Redis. Per priority, an append-only log;
 * per group and priority, a cursor (last delivered) and a pending-entries list with delivery
 * counts and delivery times, so unacknowledged entries are claimed again after `claimIdleMs`.
 * Nothing survives the process, which is fine: the outbox is the durable copy, and entries
 * published but not handled before a crash are relayed again only if their rows were not yet
 * marked (embedded mode's honest limit, documented in docs/architecture.md).
 *
 * State is plain mutable data changed only inside `Effect.sync` blocks: JavaScript runs one
 * such block at a time, so each read, ack or trim is atomic without a lock. Time comes from
 * `Clock`, so `TestClock` drives claim timing.
 */
import { Clock, Deferred, Duration, Effect, Layer, Option, Ref } from "effect"
import type { OutboxEnvelope } from "../domain/Events.js"
import { type Delivery, EventTransport, type Priority } from "./EventTransport.js"
import { priorities, readOrder } from "./Priority.js"

interface Pending {
  consumer: string
  deliveryCount: number
  deliveredAt: number
}
interface GroupCursor {
  lastDelivered: number
  /** By entry number; insertion order is entry order because entries are delivered in order. */
  readonly pending: Map<number, Pending>
}
interface Log {
  /** Entries `first .. first + envelopes.length - 1`; trimming drops from the front. */
  first: number
  readonly envelopes: Array<OutboxEnvelope>
  readonly groups: Map<string, GroupCursor>
}

export interface InProcessTransportOptions {
  /** How often acknowledged entries are dropped; default 1 minute. */
  readonly trimInterval?: Duration.DurationInput
}

export const make = (options: InProcessTransportOptions = {}) =>
  Effect.gen(function* () {
    const logs = new Map<Priority, Log>(priorities.map((p) => [p, { first: 1, envelopes: [], groups: new Map() }]))
    const log = (priority: Priority): Log => logs.get(priority)!
    const rounds = new Map<string, number>()
    // Completed and replaced on every publish: a blocked reader awaits the one it saw before
    // looking, so an entry published in between still wakes it.
    const published = yield* Ref.make(yield* Deferred.make<void>())

    const cursor = (entries: Log, group: string): GroupCursor => {
      let found = entries.groups.get(group)
      if (found === undefined) {
        // Like `XGROUP CREATE ... 0`, and like Redis after NOGROUP: a new group starts at the
        // oldest retained entry, so nothing published before the group existed is skipped.
        found = { lastDelivered: entries.first - 1, pending: new Map() }
        entries.groups.set(group, found)
      }
      return found
    }
    const delivery = (priority: Priority, n: number, deliveryCount: number): Delivery => {
      const entries = log(priority)
      return { id: String(n), envelope: entries.envelopes[n - entries.first]!, priority, deliveryCount }
    }

    /** One non-blocking pass: claim idle entries, then new ones in the weighted order. */
    const take = (group: string, consumer: string, count: number, claimIdleMs: number, now: number) => {
      const taken: Array<Delivery> = []
      for (const priority of priorities) {
        for (const [n, pending] of cursor(log(priority), group).pending) {
          if (taken.length >= count) break
          if (now - pending.deliveredAt < claimIdleMs) continue
          pending.consumer = consumer
          pending.deliveryCount += 1
          pending.deliveredAt = now
          taken.push(delivery(priority, n, pending.deliveryCount))
        }
      }
      const round = rounds.get(group) ?? 0
      rounds.set(group, round + 1)
      for (const priority of readOrder(round)) {
        const entries = log(priority)
        const at = cursor(entries, group)
        const last = entries.first + entries.envelopes.length - 1
        while (taken.length < count && at.lastDelivered < last) {
          at.lastDelivered += 1
          at.pending.set(at.lastDelivered, { consumer, deliveryCount: 1, deliveredAt: now })
          taken.push(delivery(priority, at.lastDelivered, 1))
        }
      }
      return taken
    }

    const trimNow = Effect.sync(() => {
      let removed = 0
      for (const entries of logs.values()) {
        if (entries.groups.size === 0) continue
        let keepFrom = Infinity
        for (const at of entries.groups.values()) {
          const oldestPending = at.pending.keys().next()
          keepFrom = Math.min(keepFrom, oldestPending.done === true ? at.lastDelivered + 1 : oldestPending.value)
        }
        const drop = Math.min(keepFrom - entries.first, entries.envelopes.length)
        if (drop > 0) {
          entries.envelopes.splice(0, drop)
          entries.first += drop
          removed += drop
        }
      }
      return removed
    })

    const interval = options.trimInterval ?? Duration.minutes(1)
    yield* Effect.forkScoped(Effect.forever(Effect.delay(trimNow, interval)))

    // Its data lives and dies with the process, and with it the marker: a lost log is a
    // restart, which RelayReplay.ts covers at start.
    const epoch = `in-process-${Date.now()}`
    return EventTransport.of({
      name: "in-process",
      epoch: Effect.succeed(Option.some(epoch)),
      adoptEpoch: () => Effect.succeed(epoch),
      // Consumers here are fibers of this process: they die with it, and so does the log.
      pruneConsumers: () => Effect.succeed(0),
      publish: (batch) =>
        Effect.gen(function* () {
          if (batch.length === 0) return
          for (const { envelope, priority } of batch) log(priority).envelopes.push(envelope)
          const next = yield* Deferred.make<void>()
          yield* Deferred.succeed(yield* Ref.getAndSet(published, next), undefined)
        }),
      ensureGroup: (group) => Effect.sync(() => priorities.forEach((priority) => cursor(log(priority), group))),
      read: ({ blockMs, claimIdleMs, consumer, count, group }) =>
        Effect.gen(function* () {
          const deadline = (yield* Clock.currentTimeMillis) + blockMs
          while (true) {
            const signal = yield* Ref.get(published)
            const now = yield* Clock.currentTimeMillis
            const taken = yield* Effect.sync(() => take(group, consumer, count, claimIdleMs, now))
            if (taken.length > 0 || now >= deadline) return taken
            yield* Effect.timeoutOption(Deferred.await(signal), deadline - now)
          }
        }),
      ack: (group, deliveries) =>
        Effect.sync(() => {
          for (const { id, priority } of deliveries) log(priority).groups.get(group)?.pending.delete(Number(id))
        }),
      lag: (group) =>
        Effect.sync(() => {
          let pending = 0
          let backlog = 0
          for (const entries of logs.values()) {
            const at = entries.groups.get(group)
            if (at === undefined) continue
            pending += at.pending.size
            backlog += entries.first + entries.envelopes.length - 1 - at.lastDelivered
          }
          return { pending, backlog }
        }),
      trim: trimNow
    })
  })

export const layer = (options: InProcessTransportOptions = {}): Layer.Layer<EventTransport> =>
  Layer.scoped(EventTransport, make(options))

/** Embedded mode's transport. */
export const InProcessTransportLive = layer()
