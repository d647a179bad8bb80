import { Config, Deferred, Duration, Effect, Layer } from "effect"

/**
 * Set once the process begins to shut down: readiness answers 503 from then on, so the
 * orchestrator stops sending traffic, and long-lived responses (the dashboard's event stream)
 * end so the server can close.
 */
export class Draining extends Effect.Service<Draining>()("flowboard/Draining", {
  effect: Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    return {
      isDraining: Deferred.isDone(started),
      /** Idempotent. */
      start: Effect.asVoid(Deferred.succeed(started, undefined)),
      /** Completes when draining starts. */
      await: Deferred.await(started)
    } as const
  })
}) {}

/**
 * How long to keep serving, not ready, before the server stops taking requests: it should
 * outlast the orchestrator's readiness period so no new request is routed to a closing pod.
 */
export const DrainConfig = Config.all({
  readinessDelay: Config.duration("DRAIN_READINESS_DELAY").pipe(Config.withDefault(Duration.zero))
})

/**
 * Starts draining when its scope closes. Build it after the HTTP server layer (provide the
 * server to it) so this finalizer runs first, while the server still answers.
 */
export const DrainOnShutdown = Layer.scopedDiscard(
  Effect.gen(function* () {
    const draining = yield* Draining
    const { readinessDelay } = yield* DrainConfig
    yield* Effect.addFinalizer(() =>
      Effect.logInfo("draining: readiness is now false").pipe(
        Effect.annotateLogs("readinessDelay", Duration.format(readinessDelay)),
        Effect.zipRight(draining.start),
        Effect.zipRight(Effect.sleep(readinessDelay))
      )
    )
  })
)
