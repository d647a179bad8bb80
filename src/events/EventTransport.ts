import { Context, Data, type Effect, type Option } from "effect"
import type { OutboxEnvelope } from "../domain/Events.js"

export type Priority = "high" | "default" | "low"

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** One entry handed to a consumer group; `ack` once the handler's effect has committed. */
export interface Delivery {
  readonly id: string
  readonly envelope: OutboxEnvelope
  readonly priority: Priority
  /** 1 on first delivery; higher when claimed again after a consumer died holding it. */
  readonly deliveryCount: number
}

/**
 * How events travel from the relay to the handlers. Redis Streams in production (a stream per
 * priority, a consumer group per handler); an in-process log with the same semantics for
 * embedded mode and tests. Delivery is at least once: an entry not acknowledged is handed out
 * again (to another consumer of the group) after `claimIdle`.
 */
export class EventTransport extends Context.Tag("flowboard/EventTransport")<
  EventTransport,
  {
    readonly name: "redis" | "in-process"
    /** Appends envelopes, in the order given, to the stream of each one's priority. */
    readonly publish: (envelopes: ReadonlyArray<{ readonly envelope: OutboxEnvelope; readonly priority: Priority }>) => Effect.Effect<void, TransportError>
    /** Idempotent: makes sure the consumer group exists on every priority stream. */
    readonly ensureGroup: (group: string) => Effect.Effect<void, TransportError>
    /**
     * Up to `count` entries for `consumer` in `group`: first entries other consumers left
     * pending longer than `claimIdleMs` (taken over), then new ones, higher priority first
     * without starving lower ones; waits up to `blockMs` when there are none.
     */
    readonly read: (options: {
      readonly group: string
      readonly consumer: string
      readonly count: number
      readonly blockMs: number
      readonly claimIdleMs: number
    }) => Effect.Effect<ReadonlyArray<Delivery>, TransportError>
    readonly ack: (group: string, deliveries: ReadonlyArray<Delivery>) => Effect.Effect<void, TransportError>
    /** Entries delivered to the group and not yet acknowledged, and entries not yet delivered. */
    readonly lag: (group: string) => Effect.Effect<{ readonly pending: number; readonly backlog: number }, TransportError>
    /**
     * Deletes the entries every group has read and acknowledged, never one a group has not read
     * yet or still holds pending; answers how many went. Streams without any group are kept
     * whole (a group created later starts from their beginning). Transports also run it on
     * their own every `trimInterval`; call it to trim at once (tests, admin).
     */
    readonly trim: Effect.Effect<number, TransportError>
    /**
     * The transport's epoch: a marker that lives exactly as long as the transport's data, so
     * `None` means what was published may be gone (a Redis restarted without persistence, a
     * flush, a failover to an empty replica) or was never there (a new Redis). `adoptEpoch` sets
     * the marker unless one is there and answers the one in force. RelayRecovery.ts uses both.
     */
    readonly epoch: Effect.Effect<Option.Option<string>, TransportError>
    /**
     * Forgets, in `group`, the consumers other than `consumer` that hold nothing pending and have
     * been silent for `idleMs` (dead processes whose entries were claimed); answers how many.
     */
    readonly pruneConsumers: (group: string, consumer: string, idleMs: number) => Effect.Effect<number, TransportError>
    readonly adoptEpoch: (candidate: string) => Effect.Effect<string, TransportError>
  }
>() {}
