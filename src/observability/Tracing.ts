import { Headers, HttpTraceContext, type HttpServerRequest } from "@effect/platform"
import { Config, Effect, FiberRef, Layer, Option, type Tracer } from "effect"
import { isOperationalPath } from "./OperationalRoutes.js"
import { CurrentRequest, traceparentOf } from "./RequestContext.js"
import { SERVICE_NAME } from "./ServiceInfo.js"

/**
 * Where spans go. The OTLP variables follow the OpenTelemetry specification: the traces
 * endpoint wins, else `/v1/traces` under the general endpoint; neither means no export.
 */
export const TracingConfig = Config.all({
  endpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT")),
  tracesEndpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault(SERVICE_NAME))
})

const nonEmpty = (value: Option.Option<string>) => Option.filter(Option.map(value, (s) => s.trim()), (s) => s !== "")

export const tracesUrl = (config: Config.Config.Success<typeof TracingConfig>): Option.Option<string> =>
  Option.orElse(nonEmpty(config.tracesEndpoint), () =>
    Option.map(nonEmpty(config.endpoint), (base) => `${base.replace(/\/+$/, "")}/v1/traces`)
  )

/**
 * OTLP/HTTP export when an endpoint is configured. Without one, Effect's own tracer stays in
 * place: spans are still made (ids, parents, `traceparent` in envelopes and logs) and simply
 * not sent anywhere.
 */
export const TracingLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const config = yield* TracingConfig
    const url = tracesUrl(config)
    if (Option.isNone(url)) return Layer.empty
    yield* Effect.logInfo("exporting traces over OTLP/HTTP").pipe(Effect.annotateLogs("otlp.url", url.value))
    const { otlpTracing } = yield* Effect.promise(() => import("./TracingSdk.js"))
    return otlpTracing(url.value, config.serviceName)
  })
)

// ---- W3C trace context -----------------------------------------------------------------------

const ZERO_TRACE = "0".repeat(32)
const ZERO_SPAN = "0".repeat(16)

export { traceparentOf }

/** The remote parent a `traceparent` names; `None` when it is absent or malformed (all-zero ids are invalid). */
export const parseTraceparent = (traceparent: string | null | undefined): Option.Option<Tracer.ExternalSpan> =>
  traceparent == null
    ? Option.none()
    : Option.filter(
        HttpTraceContext.w3c(Headers.fromInput({ traceparent: traceparent.trim().toLowerCase() })),
        (span) => span.traceId !== ZERO_TRACE && span.spanId !== ZERO_SPAN
      )

/**
 * Runs `effect` as a child of the span a `traceparent` names, so work done elsewhere (an event
 * handler in a worker) joins the trace of the request that caused it. Without a usable
 * `traceparent` the effect runs unchanged, under whatever span is current.
 */
export const withParentFromTraceparent =
  (traceparent: string | null | undefined) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Option.match(parseTraceparent(traceparent), {
      onNone: () => effect,
      onSome: (parent) => Effect.withParentSpan(effect, parent)
    })

/**
 * The `traceparent` to hand on from here: the current span's, else the one the request context
 * holds (a request whose tracing is off), else `null`.
 */
export const currentTraceparent: Effect.Effect<string | null> = Effect.currentSpan.pipe(
  Effect.map(traceparentOf),
  Effect.orElse(() => Effect.map(FiberRef.get(CurrentRequest), (request) => request.traceparent))
)

/** Requests that get no server span: see `OperationalRoutes` (the dashboard's event stream stays open for minutes). */
export const isUntraced = (request: HttpServerRequest.HttpServerRequest): boolean => isOperationalPath(request.url)
