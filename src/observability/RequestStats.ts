import { Effect, FiberRef, Option, type Tracer } from "effect"

/**
 * What the access log and `Server-Timing` learn about a request while it runs: who it was
 * (set by authentication) and how long it spent in SQL (added as each statement ends).
 * One mutable record per request, created by the HTTP middleware.
 */
export interface RequestStats {
  readonly correlationId: string
  userId: string | null
  /** An admin's key (role and scope): such requests may see `Server-Timing`. */
  admin: boolean
  /** A key was presented and refused: the rate limiter counts it toward a block. */
  authenticationFailed: boolean
  sqlMillis: number
  sqlStatements: number
}

export const makeRequestStats = (correlationId: string): RequestStats => ({
  correlationId,
  userId: null,
  admin: false,
  authenticationFailed: false,
  sqlMillis: 0,
  sqlStatements: 0
})

/** The stats of the request this fiber works for; `null` outside requests (workers, start-up). */
export const CurrentRequestStats = FiberRef.unsafeMake<RequestStats | null>(null)

/** Records the authenticated user for the access log (the id, never the key), and whether they administer. */
export const noteUser = (userId: string, admin: boolean): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(CurrentRequestStats), (stats) =>
    Effect.sync(() => {
      if (stats === null) return
      stats.userId = userId
      stats.admin = admin
    })
  )

/** Records that the request presented a key that was refused (wherever it was checked). */
export const noteAuthenticationFailure: Effect.Effect<void> = Effect.flatMap(FiberRef.get(CurrentRequestStats), (stats) =>
  Effect.sync(() => {
    if (stats !== null) stats.authenticationFailed = true
  })
)

/**
 * SQL statements are observed where their spans end, which knows the span's ancestors but not
 * the fiber: so the request's server span is what leads from a statement to its request.
 */
const bySpan = new WeakMap<Tracer.AnySpan, RequestStats>()

export const attachToSpan = (span: Tracer.AnySpan, stats: RequestStats): void => {
  bySpan.set(span, stats)
}

/** The stats of the nearest ancestor span that belongs to a request, if any. */
export const statsOfAncestor = (parent: Option.Option<Tracer.AnySpan>): RequestStats | undefined => {
  let current = parent
  for (let depth = 0; depth < 64 && Option.isSome(current); depth++) {
    const found = bySpan.get(current.value)
    if (found !== undefined) return found
    current = current.value._tag === "Span" ? current.value.parent : Option.none()
  }
  return undefined
}
