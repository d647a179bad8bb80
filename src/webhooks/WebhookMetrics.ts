import { Metric, MetricBoundaries } from "effect"

/** Labels `outcome` (delivered, retrying, failed, gone, deferred) and `status_class` (2xx … 5xx, none). */
export const webhookDeliveries = Metric.counter("flowboard_webhook_deliveries_total", {
  description: "Webhook delivery attempts by outcome (deferred: not tried, the endpoint's breaker was open) and the receiver's status class",
  incremental: true
})

export const webhookAttemptDuration = Metric.histogram(
  "flowboard_webhook_attempt_duration_seconds",
  MetricBoundaries.fromIterable([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "Time from sending a webhook delivery to the end of the receiver's answer (or the failure)"
)

/** Label `state`: active, disabled. */
export const webhookSubscriptions = Metric.gauge("flowboard_webhook_subscriptions", { description: "Webhook subscriptions by state" })

/** Label `state`: closed, half-open, open. Subscriptions, not URLs, so the labels stay bounded. */
export const webhookBreakers = Metric.gauge("flowboard_webhook_breakers", {
  description: "Webhook subscriptions this worker delivers to, by the state of their endpoint's circuit breaker"
})

export const webhookPending = Metric.gauge("flowboard_webhook_pending_deliveries", { description: "Webhook deliveries waiting to be sent or retried" })

export const webhookDisabled = Metric.counter("flowboard_webhook_disabled_total", {
  description: "Webhook subscriptions Flowboard disabled (410 Gone, or failing for WEBHOOK_DISABLE_AFTER); label reason: gone, failing",
  incremental: true
})
