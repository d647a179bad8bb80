import { Config } from "effect"

export type HealthStatus = "ok" | "degraded" | "critical"

/**
 * Alert thresholds, from the environment. A measurement at or above its threshold degrades
 * the status; at or above `criticalFactor` times it, the status is critical.
 */
export const ThresholdsConfig = Config.all({
  /** Share of 5xx responses over the last minute, 0..1. */
  errorRate: Config.number("ALERT_ERROR_RATE").pipe(Config.withDefault(0.05)),
  /** 99th percentile request latency over the last minute, milliseconds. */
  p99Ms: Config.number("ALERT_P99_MS").pipe(Config.withDefault(1000)),
  /** Largest consumer-group lag (entries not yet handled) across handlers. */
  consumerLag: Config.number("ALERT_CONSUMER_LAG").pipe(Config.withDefault(1000)),
  /** Dead letters waiting for an operator. */
  deadLetters: Config.number("ALERT_DEAD_LETTERS").pipe(Config.withDefault(10)),
  /** Outbox rows not yet published. */
  outboxBacklog: Config.number("ALERT_OUTBOX_BACKLOG").pipe(Config.withDefault(1000)),
  criticalFactor: Config.number("ALERT_CRITICAL_FACTOR").pipe(Config.withDefault(2)),
  /** Below this many requests in the minute, error rate and p99 are not judged (one failed request of two is not an outage). */
  minRequests: Config.integer("ALERT_MIN_REQUESTS").pipe(Config.withDefault(20))
}).pipe(
  Config.validate({
    message: "alert thresholds must be positive, ALERT_ERROR_RATE at most 1, ALERT_CRITICAL_FACTOR at least 1",
    validation: (t) =>
      [t.errorRate, t.p99Ms, t.consumerLag, t.deadLetters, t.outboxBacklog].every((v) => v > 0) &&
      t.errorRate <= 1 &&
      t.criticalFactor >= 1 &&
      t.minRequests >= 0
  })
)
export type Thresholds = Config.Config.Success<typeof ThresholdsConfig>

export type AlertName = "errorRate" | "p99Ms" | "consumerLag" | "deadLetters" | "outboxBacklog"

export interface Measurements {
  readonly requests: number
  readonly errorRate: number
  readonly p99Ms: number | null
  readonly consumerLag: number
  readonly deadLetters: number
  readonly outboxBacklog: number
}

export interface Alert {
  readonly name: AlertName
  readonly level: Exclude<HealthStatus, "ok">
  readonly value: number
  readonly threshold: number
}

const rank: Record<HealthStatus, number> = { ok: 0, degraded: 1, critical: 2 }
export const worst = (...statuses: ReadonlyArray<HealthStatus>): HealthStatus =>
  statuses.reduce<HealthStatus>((a, b) => (rank[b] > rank[a] ? b : a), "ok")

/** Every threshold the measurements reach, with its level; nothing when all is well. */
export const alertsFor = (t: Thresholds, m: Measurements): ReadonlyArray<Alert> => {
  const enoughTraffic = m.requests >= t.minRequests
  const candidates: ReadonlyArray<readonly [AlertName, number | null, number]> = [
    ["errorRate", enoughTraffic ? m.errorRate : null, t.errorRate],
    ["p99Ms", enoughTraffic ? m.p99Ms : null, t.p99Ms],
    ["consumerLag", m.consumerLag, t.consumerLag],
    ["deadLetters", m.deadLetters, t.deadLetters],
    ["outboxBacklog", m.outboxBacklog, t.outboxBacklog]
  ]
  return candidates.flatMap(([name, value, threshold]): ReadonlyArray<Alert> =>
    value === null || value < threshold
      ? []
      : [{ name, value, threshold, level: value >= threshold * t.criticalFactor ? "critical" : "degraded" }]
  )
}

/** `errorRate` (and the others) as the environment variable an operator would change. */
export const thresholdVariable: Record<AlertName, string> = {
  errorRate: "ALERT_ERROR_RATE",
  p99Ms: "ALERT_P99_MS",
  consumerLag: "ALERT_CONSUMER_LAG",
  deadLetters: "ALERT_DEAD_LETTERS",
  outboxBacklog: "ALERT_OUTBOX_BACKLOG"
}
