import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { DependencyProbes } from "../observability/Dependencies.js"
import { Readiness } from "../observability/Readiness.js"
import { metricsHandler } from "./MetricsHttp.js"

/**
 * A worker process (`flowboard worker`) has no API, but its own counters and histograms —
 * handled, failures, retries, handler duration, latency, Redis commands, jobs — live in its
 * memory. This small server gives them to Prometheus, and gives the orchestrator probes:
 * `/metrics` (the API's handler: same token rule, same pipeline gauges read at scrape time),
 * `/health/live`, `/health/ready` (the database and Redis: `503` naming each one the worker is
 * waiting for).
 */
export const WorkerHttpApp = Effect.gen(function* () {
  const readiness = yield* Readiness
  const probes = yield* DependencyProbes
  // What the worker needs to make progress: the database, and Redis when events travel there.
  // A worker waiting for one keeps running and resumes by itself; this says which it waits for.
  const checks = [
    { name: "database", check: readiness.check },
    // Optional for the API (degraded), but a worker makes no progress without any of them.
    ...probes.map((p) => ({ name: p.name, check: p.check }))
  ]
  const waitingFor = Effect.forEach(
    checks,
    ({ check, name }) =>
      check.pipe(
        Effect.timeoutFail({ duration: PROBE_TIMEOUT, onTimeout: () => ({ message: `no answer within ${PROBE_TIMEOUT}` }) }),
        Effect.as([]),
        Effect.catchAll((error) => Effect.succeed([{ name, reason: error.message }]))
      ),
    { concurrency: "unbounded" }
  ).pipe(Effect.map((all) => all.flat()))
  return HttpRouter.empty.pipe(
    HttpRouter.get("/metrics", yield* metricsHandler),
    HttpRouter.get("/health/live", HttpServerResponse.unsafeJson({ status: "ok" })),
    HttpRouter.get(
      "/health/ready",
      Effect.map(waitingFor, (waiting) => {
        const [first] = waiting
        return first === undefined
          ? HttpServerResponse.unsafeJson({ status: "ok", mode: readiness.mode })
          : HttpServerResponse.unsafeJson({ status: "unavailable", reason: `${first.name}: ${first.reason}`, waitingFor: waiting }, { status: 503 })
      })
    )
  )
})

const PROBE_TIMEOUT = "2 seconds"

/** Serves `WorkerHttpApp` on the `HttpServer` provided below. */
export const WorkerHttpLive = Layer.unwrapEffect(Effect.map(WorkerHttpApp, (app) => HttpServer.serve(app)))
