import { Sse } from "@effect/experimental"
import { HttpServerResponse } from "@effect/platform"
import { Clock, Deferred, Duration, Effect, Option, Stream } from "effect"
import type { HealthReport } from "../../api/HealthApi.js"
import { Draining } from "../../observability/Draining.js"
import { Health } from "../../observability/Health.js"
import { HISTORY_SECONDS, RequestWindow, type SecondStats } from "../../observability/RequestWindow.js"
import { securityHeaders } from "./Assets.js"

/** What the page receives once a second. */
export interface DashboardSnapshot {
  /** Unix milliseconds. */
  readonly at: number
  /** The last completed second of traffic: one point for each traffic chart. */
  readonly second: SecondStats
  /** Deliveries handled per second since the previous snapshot. */
  readonly eventsPerSecond: number
  readonly health: HealthReport
}

/** Streams end after this long (or when the session does) and the browser reconnects, authenticating again. */
export const MAX_STREAM = Duration.minutes(15)

const encoder = new TextEncoder()
const event = (name: string, data: unknown): Uint8Array =>
  encoder.encode(Sse.encoder.write({ _tag: "Event", event: name, id: undefined, data: JSON.stringify(data) }))

const emptySecond = (at: number): SecondStats => ({ second: Math.floor(at / 1000) - 1, requests: 0, errors: 0, p50Ms: null, p99Ms: null })

/**
 * How long one health reading serves every open stream. A reading costs a database round trip,
 * the pipeline's counts and a lag query per handler; each viewer wants one a second, so viewers
 * share them instead of multiplying them. Under a second, so that each tick gets a fresh one.
 */
export const SHARED_READING = Duration.millis(900)

/** Needs the scope of the server's routes: closing it ends every open stream, so the server can close. */
export const makeSnapshots = Effect.gen(function* () {
  const closing = yield* Deferred.make<void>()
  yield* Effect.addFinalizer(() => Deferred.succeed(closing, undefined))
  const health = yield* Health
  const window = yield* RequestWindow
  const draining = yield* Draining
  const shared = yield* Effect.cachedWithTTL(health.report, SHARED_READING)

  const snapshot = (previous: Option.Option<DashboardSnapshot>) =>
    Effect.gen(function* () {
      const report = yield* shared
      const [second] = yield* window.history(1)
      const at = yield* Clock.currentTimeMillis
      const eventsPerSecond = Option.match(previous, {
        onNone: () => 0,
        onSome: (p) => Math.max(0, report.events.eventsHandled - p.health.events.eventsHandled) / Math.max(0.001, (at - p.at) / 1000)
      })
      return { at, second: second ?? emptySecond(at), eventsPerSecond, health: report } satisfies DashboardSnapshot
    })

  /** The event stream for one viewer: history first, then a snapshot a second until `lifetime` ends or the process drains. */
  const stream = (lifetime: Duration.Duration) => {
    const ticks = Stream.tick("1 second").pipe(
      Stream.mapAccumEffect(Option.none<DashboardSnapshot>(), (previous) => Effect.map(snapshot(previous), (next) => [Option.some(next), next] as const))
    )
    const history = Stream.fromEffect(window.history(HISTORY_SECONDS - 1))
    const retry = encoder.encode(Sse.encoder.write(new Sse.Retry({ duration: Duration.seconds(2), lastEventId: undefined })))
    return Stream.make(retry).pipe(
      Stream.concat(Stream.map(history, (h) => event("history", h))),
      Stream.concat(Stream.map(ticks, (s) => event("snapshot", s))),
      Stream.interruptWhen(draining.await),
      Stream.interruptWhen(Deferred.await(closing)),
      Stream.interruptWhen(Effect.sleep(Duration.min(lifetime, MAX_STREAM)))
    )
  }

  return {
    stream,
    response: (lifetime: Duration.Duration) =>
      HttpServerResponse.stream(stream(lifetime), {
        contentType: "text/event-stream",
        headers: { ...securityHeaders("no-store"), "x-accel-buffering": "no" }
      })
  } as const
})
