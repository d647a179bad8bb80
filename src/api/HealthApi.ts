import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ServiceUnavailable } from "../domain/Errors.js"

export class Liveness extends Schema.Class<Liveness>("Liveness")({ status: Schema.Literal("ok") }) {}
export class Readiness extends Schema.Class<Readiness>("Readiness")({
  status: Schema.Literal("ok"),
  database: Schema.Literal("ok"),
  mode: Schema.String
}) {}

const Level = Schema.Literal("degraded", "critical")

export const DependencyHealth = Schema.Struct({
  name: Schema.String,
  /** What it is (`postgres`, `pglite`, `in-process`, ...). */
  detail: Schema.NullOr(Schema.String),
  required: Schema.Boolean,
  status: Schema.Literal("up", "down"),
  latencyMs: Schema.Number,
  /** The most recent failure, kept after recovery so a flapping dependency shows. */
  lastError: Schema.NullOr(Schema.String),
  lastErrorAt: Schema.NullOr(Schema.String)
}).annotations({ identifier: "DependencyHealth" })

export const BreakerHealth = Schema.Struct({
  name: Schema.String,
  state: Schema.Literal("closed", "half-open", "open"),
  /** Percent over the breaker's window (or its trial calls); -1 while too few calls to judge. */
  failureRate: Schema.Number,
  slowCallRate: Schema.Number,
  calls: Schema.Number
}).annotations({ identifier: "BreakerHealth" })

export const HealthReport = Schema.Struct({
  status: Schema.Literal("ok", "degraded", "critical"),
  /** Why the status is not `ok`, one sentence each. */
  reasons: Schema.Array(Schema.String),
  version: Schema.String,
  mode: Schema.String,
  startedAt: Schema.String,
  uptimeSeconds: Schema.Number,
  draining: Schema.Boolean,
  fallbacks: Schema.Array(Schema.String),
  dependencies: Schema.Array(DependencyHealth),
  /** Every circuit breaker of this process (resilience/Breakers.ts). */
  breakers: Schema.Array(BreakerHealth),
  events: Schema.Struct({
    transport: Schema.String,
    outboxBacklog: Schema.Number,
    consumerLag: Schema.Number,
    deadLetters: Schema.Number,
    consumers: Schema.Array(Schema.Struct({ handler: Schema.String, backlog: Schema.Number, pending: Schema.Number })),
    eventsPublished: Schema.Number,
    eventsHandled: Schema.Number,
    /** Re-publishing what the transport lost (Redis restarted without its data). */
    recovering: Schema.Boolean
  }),
  /** Webhook subscriptions and the deliveries waiting (-1 when they could not be counted). */
  webhooks: Schema.Struct({ active: Schema.Number, disabled: Schema.Number, pending: Schema.Number }),
  /** API traffic over the last minute (probes, scrapes and the dashboard excluded). */
  http: Schema.Struct({
    totalRequests: Schema.Number,
    requests: Schema.Number,
    ratePerSecond: Schema.Number,
    errorRate: Schema.Number,
    p50Ms: Schema.NullOr(Schema.Number),
    p99Ms: Schema.NullOr(Schema.Number)
  }),
  alerts: Schema.Array(
    Schema.Struct({ name: Schema.String, level: Level, value: Schema.Number, threshold: Schema.Number, variable: Schema.String })
  ),
  thresholds: Schema.Struct({
    errorRate: Schema.Number,
    p99Ms: Schema.Number,
    consumerLag: Schema.Number,
    deadLetters: Schema.Number,
    outboxBacklog: Schema.Number,
    criticalFactor: Schema.Number,
    minRequests: Schema.Number
  })
}).annotations({ identifier: "HealthReport" })
export type HealthReport = typeof HealthReport.Type

/**
 * Probes for orchestrators and operators: unauthenticated, cheap, neither traced nor logged.
 * `/health` always answers 200 while the process can answer; its `status` field carries the
 * verdict (see docs/monitoring.md).
 */
export class HealthApi extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("live", "/health/live").addSuccess(Liveness))
  .add(HttpApiEndpoint.get("ready", "/health/ready").addSuccess(Readiness).addError(ServiceUnavailable))
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(HealthReport))
  .annotate(OpenApi.Title, "Health") {}
