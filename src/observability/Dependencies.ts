import { Context, type Effect, type Option } from "effect"

/**
 * Something Flowboard talks to besides its database (which readiness checks): Redis, the
 * event transport. `required` ones being down makes `/health` critical; others degrade it.
 * `check` should be one cheap round trip (`PING`); its error's message is shown as the last
 * error, so it must not carry secrets.
 */
export interface DependencyProbe {
  readonly name: string
  readonly required: boolean
  readonly check: Effect.Effect<void, { readonly message: string }>
}

/** The probes in force; the layers that own a client provide theirs (none by default). */
export class DependencyProbes extends Context.Reference<DependencyProbes>()("flowboard/DependencyProbes", {
  defaultValue: (): ReadonlyArray<DependencyProbe> => []
}) {}

/**
 * Fallbacks the composition root chose, in words an operator understands ("events: in-process
 * (REDIS_URL unset)"). Any fallback in force makes `/health` at least degraded.
 */
export class Fallbacks extends Context.Reference<Fallbacks>()("flowboard/Fallbacks", {
  defaultValue: (): ReadonlyArray<string> => []
}) {}

/**
 * Fallbacks that come and go with a dependency (rate limits made locally while Redis is away):
 * each check answers the fallback in force now, in the same words as `Fallbacks`, or nothing.
 */
export class TransientFallbacks extends Context.Reference<TransientFallbacks>()("flowboard/TransientFallbacks", {
  defaultValue: (): ReadonlyArray<Effect.Effect<Option.Option<string>>> => []
}) {}
