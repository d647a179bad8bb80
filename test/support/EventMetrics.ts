import { Effect, Metric, MetricState } from "effect"

/**
 * How many deliveries `handler` processed with `outcome`, over every event type: the sum of the
 * `flowboard_events_handled_total{handler, type, outcome}` series.
 */
export const handledCount = (handler: string, outcome: "Handled" | "Duplicate" | "DeadLettered") =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs.reduce((sum, { metricKey, metricState }) => {
      const tagged = (key: string, value: string) => metricKey.tags.some((tag) => tag.key === key && tag.value === value)
      return metricKey.name === "flowboard_events_handled_total" && tagged("handler", handler) && tagged("outcome", outcome) &&
          MetricState.isCounterState(metricState)
        ? sum + Number(metricState.count)
        : sum
    }, 0))
