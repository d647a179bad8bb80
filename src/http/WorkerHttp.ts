import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Readiness } from "../observability/Readiness.js"
import { metricsHandler } from "./MetricsHttp.js"

/**
 * A worker process (`flowboard worker`) has no API, but its own counters and histograms —
 * handled, failures, retries, handler duration, latency, Redis commands, jobs — live in its
 * memory. This small server gives them to Prometheus, and gives the orchestrator probes:
 * `/metrics` (the API's handler: same token rule, same pipeline gauges read at scrape time),
 * `/health/live`, `/health/ready` (the database).
 */
export const WorkerHttpApp = Effect.gen(function* () {
  const readiness = yield* Readiness
  return HttpRouter.empty.pipe(
    HttpRouter.get("/metrics", yield* metricsHandler),
    HttpRouter.get("/health/live", HttpServerResponse.unsafeJson({ status: "ok" })),
    HttpRouter.get(
      "/health/ready",
      readiness.check.pipe(
        Effect.as(HttpServerResponse.unsafeJson({ status: "ok", mode: readiness.mode })),
        Effect.catchAll((error) => Effect.succeed(HttpServerResponse.unsafeJson({ status: "unavailable", reason: error.message }, { status: 503 })))
      )
    )
  )
})

/** Serves `WorkerHttpApp` on the `HttpServer` provided below. */
export const WorkerHttpLive = Layer.unwrapEffect(Effect.map(WorkerHttpApp, (app) => HttpServer.serve(app)))
