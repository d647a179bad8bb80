import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Config, Effect, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "../observability/Metrics.js"
import { PipelineStatus } from "../observability/PipelineStatus.js"

/**
 * `GET /metrics`: every metric in Prometheus text format 0.0.4. A plain router route beside
 * the API (not part of the `/api/v1` contract, not in the OpenAPI document). Open by default,
 * as scrapers expect inside a cluster; with `METRICS_TOKEN` set it wants
 * `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: `authorization.credentials`).
 */
export const MetricsConfig = Config.all({
  token: Config.option(Config.redacted("METRICS_TOKEN"))
})

const digest = (text: string) => createHash("sha256").update(text).digest()

/** Constant-time comparison of the presented bearer token with the configured one. */
export const authorised = (expected: Option.Option<Redacted.Redacted>, authorization: string | undefined): boolean => {
  if (Option.isNone(expected)) return true
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1]
  return presented !== undefined && timingSafeEqual(digest(presented), digest(Redacted.value(expected.value)))
}

/**
 * The `/metrics` handler, for the API's router and a worker's own port alike: the token check,
 * the pipeline's gauges (lag, dead letters, backlog, overdue tasks) read at scrape time — if that
 * fails the scrape still answers, with the last values — then every metric.
 */
export const metricsHandler = Effect.gen(function* () {
  const config = yield* MetricsConfig
  const pipeline = yield* PipelineStatus
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!authorised(config.token, request.headers["authorization"])) return HttpServerResponse.empty({ status: 401 })
    yield* pipeline.snapshot.pipe(Effect.catchAll((error) => Effect.logWarning("metrics: pipeline sample failed", error.message)))
    return HttpServerResponse.text(yield* prometheusText, { contentType: PROMETHEUS_CONTENT_TYPE })
  })
})

export const MetricsHttp = HttpApiBuilder.Router.use((router) => Effect.flatMap(metricsHandler, (handler) => router.get("/metrics", handler)))
