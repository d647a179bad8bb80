/**
 * The outbox relay: a worker layer that moves committed events from the `outbox` table to the
 * transport, batch by batch (RelayBatch.ts says how one batch is claimed, published and
 * marked, and why at least once). Any number of relays may run, in any processes.
 *
 * When to look: at once after a full batch (there is probably more); when Postgres notifies
 * `flowboard_outbox` (sent by the writing process after a commit that added outbox rows,
 * coalesced: repositories/sql/OutboxWakeUp.ts); otherwise every
 * `pollInterval`, which is the fallback if a notification is missed (the listening connection
 * dropped) and the only way on PGlite. When a batch fails (Redis down, Postgres failing over)
 * the relay logs it and retries on `retry`, and the events wait in the outbox meanwhile.
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Cause, Config, Duration, Effect, Exit, Layer, Metric, Option, Queue, Schedule, Stream } from "effect"
import { OutboxChannel } from "../repositories/sql/OutboxWakeUp.js"
import { infrastructureRetry } from "../resilience/RetrySchedules.js"
import { EventTransport } from "./EventTransport.js"
import { relayBatch } from "./RelayBatch.js"
import { HandlerRegistry } from "./HandlerRegistry.js"
import { countUnhandled, eventsUnhandled, makeWatch } from "./RelayRecovery.js"
import { replayRecent } from "./RelayReplay.js"

export { eventsPublished } from "./RelayBatch.js"

export const relayFailures = Metric.counter("flowboard_relay_failures_total", {
  description: "Relay batches that failed and were rolled back (retried later)",
  incremental: true
})

export { OutboxChannel }

export interface RelayOptions {
  /** Rows per transaction; default 100. */
  readonly batchSize?: number
  /** Fallback polling; default 2 s when LISTEN/NOTIFY is available, else 250 ms. */
  readonly pollInterval?: Duration.DurationInput
  /** Delay before the next try after a failed batch; default `infrastructureRetry`. */
  readonly retry?: Schedule.Schedule<unknown>
  /** How long to wait before retrying rows held back behind another relay's; default 20 ms. */
  readonly deferredRetry?: Duration.DurationInput
  /**
   * With a transport that does not outlive the process (in-process), events published within
   * this of the newest publication are published again at start (RelayReplay.ts); default
   * 10 minutes, 0 to disable. Ignored for durable transports.
   */
  readonly replayWindow?: Duration.DurationInput
  /** How often the relay looks for the transport's epoch marker (RelayRecovery.ts); default 1 s. */
  readonly lossCheckInterval?: Duration.DurationInput
  /** Published events older than this that a handler has no trace of are counted; default 5 min. */
  readonly unhandledAfter?: Duration.DurationInput
}

/** Forks the relay into the current scope; it stops when the scope closes. */
export const make = (options: RelayOptions = {}) =>
  Effect.gen(function* () {
    const pg = yield* Effect.serviceOption(PgClient.PgClient)
    const batchSize = options.batchSize ?? 100
    const pollInterval = Duration.decode(options.pollInterval ?? (Option.isSome(pg) ? "2 seconds" : "250 millis"))
    const wake = yield* Queue.sliding<void>(1)

    if (Option.isSome(pg)) {
      yield* pg.value.listen(OutboxChannel).pipe(
        Stream.runForEach(() => Queue.offer(wake, undefined)),
        Effect.tapError((error) => Effect.logWarning("Relay: LISTEN failed; polling until it is back", error)),
        Effect.retry(infrastructureRetry),
        Effect.forkScoped
      )
    }

    const transport = yield* EventTransport
    const replayWindow = Duration.decode(options.replayWindow ?? "10 minutes")
    const replay = transport.name === "in-process" && Duration.greaterThan(replayWindow, Duration.zero)
      ? replayRecent(replayWindow, batchSize).pipe(
        Effect.tap((n) => n > 0 ? Effect.logInfo(`Relay: published ${n} recent events again for the in-process transport`) : Effect.void),
        Effect.catchAll((error) => Effect.logWarning("Relay: could not replay recent events", error))
      )
      : Effect.void

    // Recovery from a transport that lost its data, and the outbox/inbox check, for the handlers
    // this process knows (a worker's registry; none in a bare relay, as in some tests).
    const registry = yield* Effect.serviceOption(HandlerRegistry)
    const handlers = Option.match(registry, { onNone: () => [], onSome: (r) => r.handlers })
    const watch = yield* makeWatch(handlers)
    if (handlers.length > 0) {
      const lossCheck = Duration.decode(options.lossCheckInterval ?? "1 second")
      let unreachable = false
      const look = watch.check.pipe(
        Effect.tap((lost) => (lost ? Queue.offer(wake, undefined) : Effect.void)),
        Effect.tap(() => Effect.sync(() => (unreachable = false))),
        // The relay's own loop logs transport and database failures; one line per outage here.
        Effect.catchAll((error) => unreachable ? Effect.void : Effect.zipRight(Effect.sync(() => (unreachable = true)), Effect.logWarning("Relay: cannot check the transport's epoch marker", error)))
      )
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(look, Effect.sleep(lossCheck))))
      const after = Duration.decode(options.unhandledAfter ?? "5 minutes")
      const count = countUnhandled(handlers, after).pipe(
        Effect.flatMap((counts) => Effect.forEach(counts, ({ count, handler }) => Metric.set(Metric.tagged(eventsUnhandled, "handler", handler), count), { discard: true })),
        Effect.catchAll((error) => Effect.logDebug("Relay: could not count unhandled events", error))
      )
      yield* Effect.forkScoped(Effect.schedule(count, Schedule.spaced("1 minute")))
    }

    const failures = yield* Schedule.driver(options.retry ?? infrastructureRetry)
    let failed = 0
    const iteration = Effect.gen(function* () {
      const exit = yield* Effect.exit(relayBatch(batchSize))
      if (Exit.isFailure(exit)) {
        if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
        failed += 1
        yield* Metric.increment(relayFailures)
        yield* Effect.logWarning("Relay: batch failed and was rolled back; events wait in the outbox", exit.cause).pipe(
          Effect.annotateLogs("attempt", failed)
        )
        // A bounded schedule that runs out starts over: the relay never gives up.
        yield* failures.next(undefined).pipe(Effect.orElse(() => failures.reset))
        return
      }
      if (failed > 0) yield* Effect.logInfo(`Relay: publishing again after ${failed} failed attempts`)
      failed = 0
      yield* failures.reset
      const { claimed, deferred, published } = exit.value
      if (claimed === 0) yield* watch.outboxEmpty
      // A full batch that moved something: there is probably more. (One that moved nothing,
      // all held back or unreadable, must not spin.)
      if (claimed === batchSize && published.length > 0) return
      const wait = deferred > 0 ? Duration.min(pollInterval, Duration.decode(options.deferredRetry ?? "20 millis")) : pollInterval
      yield* Effect.timeoutOption(Queue.take(wake), wait)
    })
    // In the loop's fiber, not the layer's build: start-up does not wait for the replay, and the
    // replayed events still precede anything newer of their aggregates.
    yield* Effect.forkScoped(Effect.zipRight(replay, Effect.forever(iteration)))

    yield* Effect.logInfo("Outbox relay started").pipe(
      Effect.annotateLogs({ wakeUp: Option.isSome(pg) ? "listen/notify" : "polling", pollInterval: Duration.format(pollInterval) })
    )
  })

export const layer = (options: RelayOptions = {}): Layer.Layer<never, never, SqlClient.SqlClient | EventTransport> =>
  Layer.scopedDiscard(make(options))

/** `RELAY_BATCH_SIZE` (default 100) and `RELAY_POLL_INTERVAL` (default by wake-up mode). */
export const RelayConfig = Config.all({
  batchSize: Config.integer("RELAY_BATCH_SIZE").pipe(Config.withDefault(100), Config.validate({
    message: "RELAY_BATCH_SIZE must be between 1 and 10000",
    validation: (n) => n >= 1 && n <= 10_000
  })),
  pollInterval: Config.option(Config.duration("RELAY_POLL_INTERVAL")),
  lossCheckInterval: Config.duration("RELAY_LOSS_CHECK_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  unhandledAfter: Config.duration("EVENTS_UNHANDLED_AFTER").pipe(Config.withDefault(Duration.minutes(5)))
})

export const RelayLive = Layer.unwrapEffect(
  Effect.map(RelayConfig, ({ batchSize, lossCheckInterval, pollInterval, unhandledAfter }) =>
    layer({ batchSize, lossCheckInterval, unhandledAfter, ...Option.match(pollInterval, { onNone: () => ({}), onSome: (d) => ({ pollInterval: d }) }) }))
)
