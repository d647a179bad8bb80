import { Effect, FiberRef } from "effect"

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

export const withRequest = (info: RequestInfo) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locally(effect, CurrentRequest, info).pipe(
    info.correlationId === null ? (e) => e : Effect.annotateLogs("correlationId", info.correlationId)
  )
