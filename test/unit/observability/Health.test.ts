import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Metric, Ref, TestClock } from "effect"
import { RepositoryError } from "../../../src/domain/Errors.js"
import { DependencyProbes, Fallbacks } from "../../../src/observability/Dependencies.js"
import { Draining, DrainOnShutdown } from "../../../src/observability/Draining.js"
import { transportRecovering } from "../../../src/events/RelayRecovery.js"
import { Health } from "../../../src/observability/Health.js"
import { idleSnapshot, PipelineStatus, type PipelineSnapshot } from "../../../src/observability/PipelineStatus.js"
import { Readiness } from "../../../src/observability/Readiness.js"
import { RequestWindow } from "../../../src/observability/RequestWindow.js"

interface Setup {
  readonly database?: Ref.Ref<string | null>
  /** `null`: the default port, reading the metrics. */
  readonly pipeline?: Partial<PipelineSnapshot> | null
  readonly probes?: Layer.Layer<never>
  readonly env?: Record<string, string>
}

/** Health over controllable parts: the database fails with the message in `database`, when set. */
const healthWith = (setup: Setup = {}) => {
  const readiness = Layer.effect(
    Readiness,
    Effect.map(Effect.succeed(setup.database), (failure) => ({
      mode: "test",
      check: failure === undefined ? Effect.void : Effect.flatMap(Ref.get(failure), (m) => (m === null ? Effect.void : Effect.fail(new RepositoryError({ message: m, transient: true }))))
    }))
  )
  const pipeline =
    setup.pipeline === null ? Layer.empty : Layer.succeed(PipelineStatus, { snapshot: Effect.succeed({ ...idleSnapshot, transport: "in-process", ...setup.pipeline }) })
  return Health.Default.pipe(
    Layer.provideMerge(Layer.mergeAll(RequestWindow.Default, Draining.Default, readiness, pipeline, setup.probes ?? Layer.empty)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(setup.env ?? {})))))
  )
}

const record = (count: number, status: number, durationMs: number) =>
  Effect.flatMap(RequestWindow, (w) => Effect.repeatN(w.record(status, durationMs), count - 1))

describe("Health", () => {
  it.effect("ready while the database answers; not ready while draining or when it fails, and /health remembers the error", () =>
    Effect.gen(function* () {
      const failure = yield* Ref.make<string | null>(null)
      yield* Effect.gen(function* () {
        const health = yield* Health
        yield* health.ready
        expect((yield* health.report).status).toBe("ok")

        yield* Ref.set(failure, "database unreachable")
        expect(yield* Effect.flip(health.ready)).toMatchObject({ reason: "database unreachable" })
        const down = yield* health.report
        expect(down.status).toBe("critical")
        expect(down.dependencies[0]).toMatchObject({ name: "database", status: "down", required: true, lastError: "database unreachable" })

        yield* Ref.set(failure, null)
        const recovered = yield* health.report
        expect(recovered.status).toBe("ok")
        expect(recovered.dependencies[0]).toMatchObject({ status: "up", lastError: "database unreachable" })

        yield* Effect.flatMap(Draining, (d) => d.start)
        expect(yield* Effect.flip(health.ready)).toMatchObject({ reason: "draining" })
        expect(yield* health.report).toMatchObject({ status: "degraded", draining: true, reasons: ["draining: shutting down"] })
      }).pipe(Effect.provide(healthWith({ database: failure })))
    })
  )

  it.effect("thresholds turn measurements into degraded and critical, and say which variable to change", () =>
    Effect.gen(function* () {
      const health = yield* Health
      yield* record(30, 200, 10)
      expect((yield* health.report).alerts.map((a) => a.name)).toEqual(["deadLetters"])
      yield* record(2, 503, 2000) // 2 of 32 = 6.25 %: over 5 %, under 10 %; p99 now 2000 ms ≥ 2 × 500
      const report = yield* health.report
      expect(report.http).toMatchObject({ requests: 32, totalRequests: 32, p50Ms: 10, p99Ms: 2000 })
      expect(report.alerts).toEqual([
        { name: "errorRate", level: "degraded", value: 2 / 32, threshold: 0.05, variable: "ALERT_ERROR_RATE" },
        { name: "p99Ms", level: "critical", value: 2000, threshold: 500, variable: "ALERT_P99_MS" },
        { name: "deadLetters", level: "degraded", value: 3, threshold: 3, variable: "ALERT_DEAD_LETTERS" }
      ])
      expect(report.status).toBe("critical")
      expect(report.events).toMatchObject({ transport: "in-process", deadLetters: 3, consumerLag: 7 })
    }).pipe(
      Effect.provide(
        healthWith({
          env: { ALERT_P99_MS: "500", ALERT_DEAD_LETTERS: "3" },
          pipeline: { deadLetters: 3, consumers: [{ handler: "activity", backlog: 5, pending: 2 }] }
        })
      )
    )
  )

  it.effect("a minute later the traffic has left the window; too little traffic is not judged", () =>
    Effect.gen(function* () {
      const health = yield* Health
      yield* record(5, 500, 10)
      expect((yield* health.report).alerts).toEqual([]) // 5 requests < ALERT_MIN_REQUESTS (20)
      yield* record(20, 500, 10)
      expect((yield* health.report).status).toBe("critical")
      yield* TestClock.adjust("61 seconds")
      const later = yield* health.report
      expect(later.http).toMatchObject({ requests: 0, totalRequests: 25, errorRate: 0, p99Ms: null })
      expect(later.status).toBe("ok")
    }).pipe(Effect.provide(healthWith()))
  )

  it.effect("fallbacks and optional dependencies degrade, required ones are critical, a hung probe is down after 2 s", () =>
    Effect.gen(function* () {
      const health = yield* Health
      const fiber = yield* Effect.fork(health.report)
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(fiber)
      expect(report.dependencies.map((d) => [d.name, d.status, d.lastError])).toEqual([
        ["database", "up", null],
        ["transport", "up", null],
        ["redis", "down", "no answer within 2s"],
        ["search", "down", "connection refused"]
      ])
      expect(report.reasons).toEqual([
        "redis is down: no answer within 2s",
        "search is down: connection refused",
        "fallback in force: events: in-process (REDIS_URL unset)"
      ])
      expect(report.status).toBe("critical")
      expect(report.fallbacks).toEqual(["events: in-process (REDIS_URL unset)"])
    }).pipe(
      Effect.provide(
        healthWith({
          probes: Layer.mergeAll(
            Layer.succeed(DependencyProbes, [
              { name: "redis", required: true, check: Effect.never },
              { name: "search", required: false, check: Effect.fail({ message: "connection refused" }) }
            ]),
            Layer.succeed(Fallbacks, ["events: in-process (REDIS_URL unset)"])
          )
        })
      )
    )
  )

  it.effect("shutting down starts draining: readiness fails from the moment the scope closes", () =>
    Effect.gen(function* () {
      const draining = yield* Draining
      yield* Effect.scoped(Layer.build(DrainOnShutdown))
      expect(yield* draining.isDraining).toBe(true)
      expect(yield* Effect.flip(Effect.flatMap(Health, (h) => h.ready))).toMatchObject({ reason: "draining" })
    }).pipe(Effect.provide(healthWith()))
  )

  it.effect("without a pipeline status of its own, the events come from this process's metrics", () =>
    Effect.gen(function* () {
      const health = yield* Health
      const handled = Metric.counter("flowboard_events_handled_total").pipe(Metric.tagged("handler", "test"))
      const before = (yield* health.report).events
      yield* Metric.incrementBy(Metric.tagged(handled, "outcome", "Handled"), 3)
      yield* Metric.incrementBy(Metric.tagged(handled, "outcome", "Duplicate"), 5)
      yield* Metric.incrementBy(Metric.tagged(Metric.counter("flowboard_events_published_total"), "type", "task.moved.v1"), 4)
      yield* Metric.set(Metric.gauge("flowboard_outbox_backlog"), 7)
      const after = (yield* health.report).events
      expect([after.eventsHandled - before.eventsHandled, after.eventsPublished - before.eventsPublished]).toEqual([3, 4])
      expect(after).toMatchObject({ outboxBacklog: 7, transport: "not reported", consumerLag: 0, deadLetters: 0 })
    }).pipe(Effect.provide(healthWith({ pipeline: null })))
  )

  it.effect("while a relay re-publishes what the transport lost, health is degraded and says why; after, it is not", () =>
    Effect.gen(function* () {
      const health = yield* Health
      yield* Metric.set(transportRecovering, 1)
      const during = yield* health.report
      yield* Metric.set(transportRecovering, 0)
      const after = yield* health.report
      expect(during.status).toBe("degraded")
      expect(during.events.recovering).toBe(true)
      expect(during.reasons.join(" ")).toContain("the transport lost")
      expect(after.events.recovering).toBe(false)
      expect(after.reasons.join(" ")).not.toContain("the transport lost")
    }).pipe(Effect.provide(healthWith({ pipeline: null })))
  )

  it.effect("refuses nonsensical thresholds at start-up", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Effect.provide(Health, healthWith({ env: { ALERT_ERROR_RATE: "5" } })))
      expect(String(error)).toContain("ALERT_ERROR_RATE at most 1")
    })
  )
})
