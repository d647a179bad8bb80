import { Array as Arr, Clock, Data, DateTime, Duration, Effect, Either, Option } from "effect"
import type { HealthReport } from "../api/HealthApi.js"
import { CircuitBreakers } from "../resilience/Breakers.js"
import { WebhookRepository } from "../repositories/WebhookRepository.js"
import { DependencyProbes, Fallbacks, TransientFallbacks } from "./Dependencies.js"
import { Draining } from "./Draining.js"
import { consumerLag, PipelineStatus } from "./PipelineStatus.js"
import { Readiness } from "./Readiness.js"
import { RequestWindow } from "./RequestWindow.js"
import { SERVICE_VERSION } from "./ServiceInfo.js"
import { alertsFor, type HealthStatus, thresholdVariable, ThresholdsConfig, worst } from "./Thresholds.js"

export type { HealthStatus } from "./Thresholds.js"

/** A probe that takes longer than this counts as down: a health check must not hang. */
const PROBE_TIMEOUT = Duration.seconds(2)

type Dependency = HealthReport["dependencies"][number]

/** Why `/health/ready` says no. */
export class NotReady extends Data.TaggedError("NotReady")<{ readonly reason: string }> {}

/**
 * What `/health*` and the dashboard report. Readiness is the database (reachable, migrated)
 * and not draining; the detailed report adds every dependency, the event pipeline, recent
 * traffic and the alert thresholds, and derives the overall status:
 *
 * - `critical`: a required dependency (the database, Redis when configured) is down, or a
 *   measurement is at or above `ALERT_CRITICAL_FACTOR` times its threshold;
 * - `degraded`: an optional dependency is down, a fallback is in force, the process is
 *   draining, or a measurement is at or above its threshold;
 * - `ok` otherwise.
 */
export class Health extends Effect.Service<Health>()("flowboard/Health", {
  effect: Effect.gen(function* () {
    const readiness = yield* Readiness
    const draining = yield* Draining
    const window = yield* RequestWindow
    const pipeline = yield* PipelineStatus
    const probes = yield* DependencyProbes
    const fixedFallbacks = yield* Fallbacks
    const transientFallbacks = yield* TransientFallbacks
    const breakers = yield* CircuitBreakers
    // Optional: the health of a process without the repositories (unit tests) has no webhook counts.
    const webhooks = yield* Effect.serviceOption(WebhookRepository)
    const thresholds = yield* ThresholdsConfig
    const startedAt = yield* DateTime.now
    const lastErrors = new Map<string, { readonly message: string; readonly at: string }>()

    /** Runs one check with a deadline; remembers its last failure. */
    const probe = <A>(name: string, check: Effect.Effect<A, { readonly message: string }>) =>
      Effect.gen(function* () {
        const start = yield* Clock.currentTimeNanos
        const result = yield* check.pipe(
          Effect.timeoutFail({ duration: PROBE_TIMEOUT, onTimeout: () => ({ message: `no answer within ${Duration.format(PROBE_TIMEOUT)}` }) }),
          Effect.either
        )
        const latencyMs = Number((yield* Clock.currentTimeNanos) - start) / 1e6
        if (Either.isLeft(result)) {
          lastErrors.set(name, { message: result.left.message, at: DateTime.formatIso(yield* DateTime.now) })
        }
        const last = lastErrors.get(name)
        return { result, latencyMs, lastError: last?.message ?? null, lastErrorAt: last?.at ?? null }
      })

    const database = probe("database", readiness.check)

    const ready: Effect.Effect<void, NotReady> = Effect.gen(function* () {
      if (yield* draining.isDraining) return yield* Effect.fail(new NotReady({ reason: "draining" }))
      // While the database breaker is open every request would be refused: send none here. Once
      // its wait is over it reads half-open, and the requests that come decide whether it closes.
      for (const breaker of breakers) {
        if (breaker.name === "postgres" && (yield* breaker.state) === "open") {
          return yield* Effect.fail(new NotReady({ reason: "circuit postgres is open" }))
        }
      }
      const { result } = yield* database
      if (Either.isLeft(result)) return yield* Effect.fail(new NotReady({ reason: result.left.message }))
    })

    const report: Effect.Effect<HealthReport> = Effect.gen(function* () {
      const [db, events, others] = yield* Effect.all(
        [
          database,
          probe("transport", pipeline.snapshot),
          Effect.forEach(probes, (p) => Effect.map(probe(p.name, p.check), (outcome) => ({ probe: p, outcome })), { concurrency: "unbounded" })
        ],
        { concurrency: "unbounded" }
      )
      const snapshot = Either.getOrNull(events.result)
      const dependencies: Array<Dependency> = [
        { name: "database", detail: readiness.mode, required: true, ...summary(db) },
        { name: "transport", detail: snapshot?.transport ?? null, required: false, ...summary(events) },
        ...others.map(({ probe: p, outcome }) => ({ name: p.name, detail: null, required: p.required, ...summary(outcome) }))
      ]
      const traffic = yield* window.stats(60)
      const lag = snapshot === null ? 0 : consumerLag(snapshot)
      const alerts = alertsFor(thresholds, {
        requests: traffic.requests,
        errorRate: traffic.errorRate,
        p99Ms: traffic.p99Ms,
        consumerLag: lag,
        deadLetters: snapshot?.deadLetters ?? 0,
        outboxBacklog: snapshot?.outboxBacklog ?? 0
      })
      const isDraining = yield* draining.isDraining
      const fallbacks = [...fixedFallbacks, ...Arr.getSomes(yield* Effect.all(transientFallbacks))]
      const circuits = yield* Effect.forEach(breakers, (breaker) => breaker.snapshot)
      const uncounted = { active: -1, disabled: -1, pending: -1 }
      const hooks = Option.isNone(webhooks)
        ? uncounted
        : yield* webhooks.value.counts.pipe(Effect.timeout(PROBE_TIMEOUT), Effect.orElseSucceed(() => uncounted))
      const verdicts: Array<readonly [HealthStatus, string]> = [
        ...dependencies
          .filter((d) => d.status === "down")
          .map((d): readonly [HealthStatus, string] => [d.required ? "critical" : "degraded", `${d.name} is down: ${d.lastError ?? "unknown error"}`]),
        ...fallbacks.map((f): readonly [HealthStatus, string] => ["degraded", `fallback in force: ${f}`]),
        ...(isDraining ? [["degraded", "draining: shutting down"] as const] : []),
        ...circuits
          .filter((c) => c.state === "open")
          .map((c): readonly [HealthStatus, string] => [c.name === "postgres" ? "critical" : "degraded", `circuit ${c.name} is open: calls are refused without trying`]),
        ...(snapshot?.recovering === true ? [["degraded", "events: publishing again what the transport lost (Redis lost its data)"] as const] : []),
        ...alerts.map((a): readonly [HealthStatus, string] => [a.level, `${a.name} ${a.value} ≥ ${a.level === "critical" ? `${thresholds.criticalFactor} × ` : ""}${a.threshold} (${thresholdVariable[a.name]})`])
      ]
      const now = yield* DateTime.now
      return {
        status: worst(...verdicts.map(([s]) => s)),
        reasons: verdicts.map(([, reason]) => reason),
        version: SERVICE_VERSION,
        mode: readiness.mode,
        startedAt: DateTime.formatIso(startedAt),
        uptimeSeconds: Math.floor(DateTime.distance(startedAt, now) / 1000),
        draining: isDraining,
        fallbacks,
        dependencies,
        breakers: circuits,
        events: {
          transport: snapshot?.transport ?? "unknown",
          outboxBacklog: snapshot?.outboxBacklog ?? 0,
          consumerLag: lag,
          deadLetters: snapshot?.deadLetters ?? 0,
          consumers: snapshot?.consumers ?? [],
          eventsPublished: snapshot?.eventsPublished ?? 0,
          eventsHandled: snapshot?.eventsHandled ?? 0,
          recovering: snapshot?.recovering ?? false
        },
        webhooks: hooks,
        http: { totalRequests: yield* window.totalRequests, ...traffic },
        alerts: alerts.map((a) => ({ ...a, variable: thresholdVariable[a.name] })),
        thresholds
      }
    })

    return { ready, report } as const
  })
}) {}

const summary = (outcome: {
  readonly result: Either.Either<unknown, unknown>
  readonly latencyMs: number
  readonly lastError: string | null
  readonly lastErrorAt: string | null
}) => ({
  status: Either.isRight(outcome.result) ? ("up" as const) : ("down" as const),
  latencyMs: Math.round(outcome.latencyMs * 100) / 100,
  lastError: outcome.lastError,
  lastErrorAt: outcome.lastErrorAt
})
