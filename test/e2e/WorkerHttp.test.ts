import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Metric, Ref } from "effect"
import { RepositoryError } from "../../src/domain/Errors.js"
import { WorkerHttpLive } from "../../src/http/WorkerHttp.js"
import { DependencyProbes } from "../../src/observability/Dependencies.js"
import { Readiness } from "../../src/observability/Readiness.js"
import { parsePrometheus, valueOf } from "../support/Prometheus.js"
import { HttpTestServer } from "../support/TestApi.js"
import { get } from "./Harness.js"

/** A database the test can take away. */
class DatabaseUp extends Effect.Service<DatabaseUp>()("test/DatabaseUp", { effect: Ref.make(true) }) {}

const ReadinessLive = Layer.effect(
  Readiness,
  Effect.map(DatabaseUp, (up) => ({
    mode: "production",
    check: Effect.flatMap(Ref.get(up), (ok) => (ok ? Effect.void : Effect.fail(new RepositoryError({ message: "connection refused", transient: true }))))
  }))
)

/** Redis, which the test can take away too. */
class RedisUp extends Effect.Service<RedisUp>()("test/RedisUp", { effect: Ref.make(true) }) {}

const ProbesLive = Layer.effect(
  DependencyProbes,
  Effect.map(RedisUp, (up) => [
    { name: "redis", required: true, check: Effect.flatMap(Ref.get(up), (ok) => (ok ? Effect.void : Effect.fail({ message: "ECONNREFUSED" }))) }
  ])
)

const WorkerServer = WorkerHttpLive.pipe(
  Layer.provide(ReadinessLive),
  Layer.provide(ProbesLive),
  Layer.provideMerge(RedisUp.Default),
  Layer.provideMerge(DatabaseUp.Default),
  Layer.provideMerge(HttpTestServer),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["METRICS_TOKEN", "scrape-secret"]]))))
)

layer(WorkerServer)("a worker's own HTTP port", (it) => {
  it.effect("serves this process's metrics to a scraper with the token, and probes without one", () =>
    Effect.gen(function* () {
      const handled = Metric.counter("flowboard_worker_http_test_total").pipe(Metric.tagged("handler", "probe"))
      yield* Metric.incrementBy(handled, 3)
      expect((yield* get("/metrics")).status).toBe(401)
      const scraped = yield* get("/metrics", undefined, { authorization: "Bearer scrape-secret" })
      expect(scraped.status).toBe(200)
      expect(valueOf(parsePrometheus(scraped.text), "flowboard_worker_http_test_total", { handler: "probe" })).toBe(3)

      expect((yield* get("/health/live")).status).toBe(200)
      expect((yield* get("/health/ready")).body).toEqual({ status: "ok", mode: "production" })
      yield* Effect.flatMap(DatabaseUp, (up) => Ref.set(up, false))
      const down = yield* get("/health/ready")
      expect([down.status, down.body]).toEqual([503, { status: "unavailable", reason: "database: connection refused", waitingFor: [{ name: "database", reason: "connection refused" }] }])
      expect((yield* get("/health/live")).status).toBe(200)

      // Both away: it names both; the database back, it still waits for Redis; then ready.
      yield* Effect.flatMap(RedisUp, (up) => Ref.set(up, false))
      expect((yield* get("/health/ready")).body).toMatchObject({ waitingFor: [{ name: "database" }, { name: "redis", reason: "ECONNREFUSED" }] })
      yield* Effect.flatMap(DatabaseUp, (up) => Ref.set(up, true))
      expect((yield* get("/health/ready")).body).toEqual({ status: "unavailable", reason: "redis: ECONNREFUSED", waitingFor: [{ name: "redis", reason: "ECONNREFUSED" }] })
      yield* Effect.flatMap(RedisUp, (up) => Ref.set(up, true))
      expect((yield* get("/health/ready")).status).toBe(200)
    }))
})
