import { Context, Data, Effect } from "effect"

/** One consumer group (one per handler): what it has not yet read, and what it holds unacknowledged. */
export interface ConsumerStatus {
  readonly handler: string
  /** Entries in the streams the group has not been handed yet. */
  readonly backlog: number
  /** Entries handed to a consumer of the group and not yet acknowledged. */
  readonly pending: number
}

/** The event pipeline as health and the dashboard see it. */
export interface PipelineSnapshot {
  /** `redis`, `in-process`, or `none` while no relay runs. */
  readonly transport: string
  /** Outbox rows not yet published to the transport. */
  readonly outboxBacklog: number
  readonly consumers: ReadonlyArray<ConsumerStatus>
  /** Dead letters waiting for an operator (status `pending`). */
  readonly deadLetters: number
  /** Events published by this process since it started (a counter: the dashboard derives a rate). */
  readonly eventsPublished: number
  /** Deliveries handled successfully by this process since it started (a counter). */
  readonly eventsHandled: number
}

export class PipelineStatusUnavailable extends Data.TaggedError("PipelineStatusUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

export const idleSnapshot: PipelineSnapshot = {
  transport: "none",
  outboxBacklog: 0,
  consumers: [],
  deadLetters: 0,
  eventsPublished: 0,
  eventsHandled: 0
}

/**
 * The port through which observability reads the event pipeline. The pipeline provides its own
 * (outbox count, transport lag per handler group, dead-letter count); until it does, the
 * default reports an idle pipeline. Implementations should answer quickly: `/health` and the
 * dashboard (once a second per viewer) call `snapshot`.
 */
export class PipelineStatus extends Context.Reference<PipelineStatus>()("flowboard/PipelineStatus", {
  defaultValue: (): {
    readonly snapshot: Effect.Effect<PipelineSnapshot, PipelineStatusUnavailable>
  } => ({ snapshot: Effect.succeed(idleSnapshot) })
}) {}

/** The larger of a group's lag across handlers: backlog plus pending, the entries it has not finished. */
export const consumerLag = (snapshot: PipelineSnapshot): number =>
  snapshot.consumers.reduce((max, c) => Math.max(max, c.backlog + c.pending), 0)
