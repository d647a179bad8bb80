import { Effect, FiberRef, Option, type Tracer } from "effect"

/**
 * The request a fiber is working for. Set by the HTTP middleware; read by the outbox so every
 * event carries the correlation id and trace of the request that caused it.
 */
export interface RequestInfo {
  readonly correlationId: string | null
  readonly traceparent: string | null
  readonly causationId: string | null
}

export const CurrentRequest = FiberRef.unsafeMake<RequestInfo>({
  correlationId: null,
  traceparent: null,
  causationId: null
})

/**
 * Runs `effect` for the given request. When a span is current (the HTTP server span, itself a
 * child of an incoming `traceparent`), its `traceparent` is what the context records, so an
 * event continues this process's trace; `info.traceparent` stays as the fallback for requests
 * that are not traced.
 */
/** `00-<trace id>-<span id>-<flags>` (W3C trace context) for a span of ours or one continued from elsewhere. */
export const traceparentOf = (span: Tracer.AnySpan): string => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

export const withRequest = (info: RequestInfo) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (span) => {
    const traceparent = Option.match(span, {
      onNone: () => info.traceparent,
      onSome: traceparentOf
    })
    return Effect.locally(effect, CurrentRequest, { ...info, traceparent }).pipe(
      info.correlationId === null ? (e) => e : Effect.annotateLogs("correlationId", info.correlationId)
    )
  })

/**
 * The client address of the request this fiber works for (the socket's, or the trusted proxy's
 * `X-Forwarded-For`: security/ClientAddress.ts). Set by the rate-limiting middleware; read by
 * the audit trail. `null` outside requests.
 */
export const CurrentClientAddress = FiberRef.unsafeMake<string | null>(null)
