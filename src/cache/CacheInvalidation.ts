import { Context, Effect, FiberRef, Layer } from "effect"
import { ReadCache } from "./ReadCache.js"

/** The scopes the unit of work in flight has touched; `null` outside one. */
const Touched = FiberRef.unsafeMake<Set<string> | null>(null)

/**
 * Invalidation driven by the transaction that changes the data. Writes note the scopes they
 * touch (`touch`); the outermost unit of work (`tracked`, wrapped around the Transactor) makes
 * them stale once it has committed, before it returns to its caller, so the response to a write
 * is only sent after every process would miss what it changed. A unit that fails invalidates
 * nothing (nothing changed). A write outside any unit invalidates right after itself.
 */
export class CacheInvalidation extends Context.Tag("flowboard/CacheInvalidation")<
  CacheInvalidation,
  {
    readonly touch: (scopes: ReadonlyArray<string>) => Effect.Effect<void>
    readonly tracked: <A, E, R>(unit: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
>() {}

export const CacheInvalidationLive: Layer.Layer<CacheInvalidation, never, ReadCache> = Layer.effect(
  CacheInvalidation,
  Effect.map(ReadCache, (cache) =>
    CacheInvalidation.of({
      touch: (scopes) =>
        scopes.length === 0
          ? Effect.void
          : Effect.flatMap(FiberRef.get(Touched), (touched) => {
              if (touched === null) return cache.invalidate(scopes)
              scopes.forEach((scope) => touched.add(scope))
              return Effect.void
            }),
      tracked: (unit) =>
        Effect.flatMap(FiberRef.get(Touched), (touched) => {
          // Nested: joins the outer unit, which invalidates after the real commit.
          if (touched !== null) return unit
          const scopes = new Set<string>()
          return Effect.locally(unit, Touched, scopes).pipe(Effect.tap(() => cache.invalidate(scopes)))
        })
    })
  )
)
