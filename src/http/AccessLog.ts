/**
 * Per-request observation, as one middleware step: the HTTP metrics (duration by method, route
 * template and status class; requests in flight; body sizes), the `Server-Timing` header
 * (`sql;dur=` time spent in SQL statements of this request, `app;dur=` the handler in total,
 * both in milliseconds; only for admins by default, `SERVER_TIMING`: it tells a caller how much
 * SQL its request ran) and one access log line.
 *
 * The line is written, and the duration taken, when the response is handed to the server (a
 * pre-response handler): by the time a middleware sees a response it has already been sent.
 * Probes and scrapes (`/health`, `/health/*`, `/metrics`) are measured but not logged.
 */
import { HttpApp, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Metric, MetricLabel, Option, type Tracer } from "effect"
import { httpRequestDuration, httpRequestSize, httpRequestsInFlight, httpResponseSize, statusClass } from "../observability/Metrics.js"
import { attachToSpan, CurrentRequestStats, makeRequestStats, type RequestStats } from "../observability/RequestStats.js"
import type { HeadersSettings } from "../security/SecurityConfig.js"
import { pathnameOf, routeTemplate } from "./RouteTemplate.js"
import { mayTime } from "./SecurityHeaders.js"

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

/** Paths whose requests leave no access log line: they would drown the real traffic. */
export const isQuietPath = (pathname: string): boolean =>
  pathname === "/health" || pathname.startsWith("/health/") || pathname === "/metrics"

const requestBytes = (request: HttpServerRequest.HttpServerRequest): number => {
  const header = request.headers["content-length"]
  const bytes = header === undefined ? 0 : Number.parseInt(header, 10)
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : 0
}

/** `undefined` for a streamed body of unknown length. */
const responseBytes = (response: HttpServerResponse.HttpServerResponse): number | undefined => {
  const body = response.body
  switch (body._tag) {
    case "Empty":
      return 0
    case "Uint8Array":
      return body.body.length
    default:
      return body.contentLength
  }
}

const millis = (nanos: bigint) => Number(nanos) / 1e6
const round = (ms: number) => Math.round(ms * 10) / 10

interface Observation {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly response: HttpServerResponse.HttpServerResponse
  readonly serverSpan: Option.Option<Tracer.Span>
  readonly stats: RequestStats
  readonly durationMs: number
}

const record = ({ durationMs, request, response, serverSpan, stats }: Observation) =>
  Effect.gen(function* () {
    const method = METHODS.has(request.method) ? request.method : "OTHER"
    const route = routeTemplate(request, serverSpan)
    const inBytes = requestBytes(request)
    const outBytes = responseBytes(response)
    const labelled = (metric: Metric.Metric.Histogram<number>) => Metric.taggedWithLabels(metric, [
      MetricLabel.make("method", method),
      MetricLabel.make("route", route)
    ])
    yield* Metric.update(labelled(httpRequestDuration).pipe(Metric.tagged("status_class", statusClass(response.status))), durationMs / 1000)
    yield* Metric.update(labelled(httpRequestSize), inBytes)
    if (outBytes !== undefined) yield* Metric.update(labelled(httpResponseSize), outBytes)
    if (isQuietPath(pathnameOf(request))) return
    yield* Effect.logInfo(`${method} ${route} ${response.status}`).pipe(
      Effect.annotateLogs({
        kind: "access",
        method,
        route,
        status: response.status,
        durationMs: round(durationMs),
        sqlMs: round(stats.sqlMillis),
        requestBytes: inBytes,
        responseBytes: outBytes ?? null,
        clientAddress: Option.getOrNull(request.remoteAddress),
        userId: stats.userId
      })
    )
  })

/**
 * Wraps the application for one request: counts it in flight, makes its stats (found by the
 * SQL timing through the server span, and by authentication through a fiber ref) and, as its
 * response leaves, records metrics, sets `Server-Timing` and writes the access line.
 */
export const observeRequest =
  (correlationId: string, serverTiming: HeadersSettings["serverTiming"]) =>
  <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeNanos
      const stats = makeRequestStats(correlationId)
      const serverSpan = Option.filter(yield* Effect.option(Effect.currentSpan), (span) => span.kind === "server")
      if (Option.isSome(serverSpan)) attachToSpan(serverSpan.value, stats)
      yield* HttpApp.appendPreResponseHandler((request, response) =>
        Effect.gen(function* () {
          const durationMs = millis((yield* Clock.currentTimeNanos) - start)
          yield* record({ request, response, serverSpan, stats, durationMs })
          if (!mayTime(serverTiming, stats.admin)) return response
          return HttpServerResponse.setHeader(
            response,
            "server-timing",
            `sql;dur=${round(stats.sqlMillis)};desc="${stats.sqlStatements} statements", app;dur=${round(durationMs)}`
          )
        })
      )
      yield* Metric.increment(httpRequestsInFlight)
      return yield* app.pipe(Effect.locally(CurrentRequestStats, stats), Effect.ensuring(Metric.incrementBy(httpRequestsInFlight, -1)))
    })
