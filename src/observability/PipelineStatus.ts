import { Context, Data, Effect, Metric, MetricState } from "effect"

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
  /** A relay of this process is publishing again what the transport lost (RelayRecovery.ts). */
  readonly recovering: boolean
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
  eventsHandled: 0,
  recovering: false
}

/**
 * What this process's metric registry knows of the pipeline: the relay's published counter, the
 * consumers' handled counter (outcome `Handled`), and the backlog gauge as last read. Lag and
 * dead letters are not counted here, so they read 0.
 */
export const snapshotFromMetrics: Effect.Effect<PipelineSnapshot> = Effect.map(Metric.snapshot, (pairs) => {
  let eventsPublished = 0
  let eventsHandled = 0
  let outboxBacklog = 0
  let recovering = false
  for (const { metricKey, metricState } of pairs) {
    if (MetricState.isCounterState(metricState)) {
      if (metricKey.name === "flowboard_events_published_total") eventsPublished += Number(metricState.count)
      const handled = metricKey.tags.some((t) => t.key === "outcome" && t.value === "Handled")
      if (metricKey.name === "flowboard_events_handled_total" && handled) eventsHandled += Number(metricState.count)
    } else if (MetricState.isGaugeState(metricState) && metricKey.name === "flowboard_outbox_backlog") {
      outboxBacklog = Math.max(outboxBacklog, Number(metricState.value))
    } else if (MetricState.isGaugeState(metricState) && metricKey.name === "flowboard_transport_recovering") {
      recovering = recovering || Number(metricState.value) > 0
    }
  }
  const active = eventsPublished > 0 || eventsHandled > 0 || outboxBacklog > 0
  return { ...idleSnapshot, transport: active ? "not reported" : "none", eventsPublished, eventsHandled, outboxBacklog, recovering }
})

/**
 * The port through which observability reads the event pipeline. The pipeline provides its own
 * (outbox count, transport lag per handler group, dead-letter count); until it does, the
 * default reads what this process's metrics say. Implementations should answer quickly:
 * `/health`, each scrape and the dashboard (one reading a second, shared by its viewers) call
 * `snapshot`.
 */
export class PipelineStatus extends Context.Reference<PipelineStatus>()("flowboard/PipelineStatus", {
  defaultValue: (): {
    readonly snapshot: Effect.Effect<PipelineSnapshot, PipelineStatusUnavailable>
  } => ({ snapshot: snapshotFromMetrics })
}) {}

/** The larger of a group's lag across handlers: backlog plus pending, the entries it has not finished. */
export const consumerLag = (snapshot: PipelineSnapshot): number =>
  snapshot.consumers.reduce((max, c) => Math.max(max, c.backlog + c.pending), 0)
