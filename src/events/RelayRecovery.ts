/**
 * What the relay does when the transport lost what it held, and the check that makes any loss
 * visible.
 *
 * **Detecting a loss.** The transport keeps an epoch marker (`EventTransport.epoch`: on Redis a
 * key without expiry beside the streams). It vanishes with the streams and groups when Redis
 * restarts without persistence, is flushed, fails over to an empty replica, or evicts keys under
 * `maxmemory`, and with nothing else: a stream can be missing for innocent reasons (trimmed
 * empty, not created yet) and a group is re-created by the transport on `NOGROUP`, so neither
 * tells a loss from a quiet day. Every relay looks at the marker every `checkInterval`.
 *
 * **Recovering.** Marker missing: every outbox row that some handler wanting its type has
 * neither recorded in its inbox nor dead-lettered is marked unpublished again, in one statement,
 * and the relay's ordinary loop publishes them again, in id order and per-aggregate order, as it
 * publishes anything. Handlers' inboxes absorb the copies of events that had been handled or were
 * still in flight. Only then is a new marker set (`SET NX`): a relay that dies between the two
 * leaves the marker missing and the next check re-queues again (the statement is idempotent);
 * relays that notice together both re-queue and one marker wins. A new Redis (first start) looks
 * like a loss and re-queues what the handlers have not recorded: nothing, or what was in flight.
 *
 * **Health.** `flowboard_transport_recovering` is 1 from the re-queue until a relay pass finds
 * the outbox empty (every re-queued event published again); `/health` reports the pipeline
 * degraded meanwhile. `flowboard_transport_data_losses_total` counts losses seen, and
 * `flowboard_events_requeued_total` the events re-queued.
 *
 * **The outbox/inbox check.** `flowboard_events_unhandled{handler}` counts, once a minute,
 * events published between `unhandledAfter` and one hour before now that a handler wanting them
 * has neither recorded nor dead-lettered: a loss no marker saw (or a handler stuck for longer
 * than that) is a number on a graph and an alert (`FlowboardEventsUnhandled`), not silence.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Metric, Option } from "effect"
import { uuidv7 } from "../domain/Ids.js"
import type { EventHandler } from "./EventHandler.js"
import { EventTransport, type TransportError } from "./EventTransport.js"

export const transportRecovering = Metric.gauge("flowboard_transport_recovering", {
  description: "1 while events are re-published after the transport lost its data, else 0"
})
export const transportDataLosses = Metric.counter("flowboard_transport_data_losses_total", {
  description: "Times a relay found the transport's epoch marker gone (Redis lost its data, or is new)",
  incremental: true
})
export const eventsRequeued = Metric.counter("flowboard_events_requeued_total", {
  description: "Outbox events marked for publication again after the transport lost its data",
  incremental: true
})
/** Label `handler`. */
export const eventsUnhandled = Metric.gauge("flowboard_events_unhandled", {
  description: "Events published between EVENTS_UNHANDLED_AFTER and 1 h ago that a handler has neither handled nor dead-lettered"
})

/** The condition, on an outbox row `o`, that `handler` should have it and has no trace of it. */
const missingFor = (sql: SqlClient.SqlClient, handler: EventHandler) =>
  sql.and([
    handler.types === "*" ? sql`TRUE` : sql.in("o.type", [...handler.types]),
    sql`NOT EXISTS (SELECT 1 FROM inbox i WHERE i.handler = ${handler.name} AND i.event_id = o.id)`,
    sql`NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.handler = ${handler.name} AND d.event_id = o.id)`
  ])

/** Marks unpublished every published event some handler has no trace of; answers how many. */
export const requeueUnhandled = (handlers: ReadonlyArray<EventHandler>): Effect.Effect<number, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    if (handlers.length === 0) return 0
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly count: number }>`
      WITH requeued AS (
        UPDATE outbox o SET published_at = NULL
        WHERE o.published_at IS NOT NULL AND (${sql.or(handlers.map((handler) => missingFor(sql, handler)))})
        RETURNING 1)
      SELECT count(*)::int AS count FROM requeued`
    return rows[0]?.count ?? 0
  }).pipe(Effect.withSpan("RelayRecovery.requeueUnhandled", { captureStackTrace: false }))

/** Per handler, published events in [now − 1 h, now − `after`] it has no trace of. */
export const countUnhandled = (handlers: ReadonlyArray<EventHandler>, after: Duration.Duration) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const seconds = Duration.toSeconds(after)
    return yield* Effect.forEach(handlers, (handler) =>
      Effect.map(
        sql<{ readonly count: number }>`
          SELECT count(*)::int AS count FROM outbox o
          WHERE o.published_at IS NOT NULL
            AND o.published_at < now() - make_interval(secs => ${seconds})
            AND o.published_at >= now() - interval '1 hour'
            AND ${missingFor(sql, handler)}`,
        (rows) => ({ handler: handler.name, count: rows[0]?.count ?? 0 })
      ))
  }).pipe(Effect.withSpan("RelayRecovery.countUnhandled", { captureStackTrace: false }))

export interface Watch {
  /** One look at the marker: re-queues and returns true when it was gone. */
  readonly check: Effect.Effect<boolean, SqlError | TransportError>
  /** A relay pass found the outbox empty: a recovery in progress is over. */
  readonly outboxEmpty: Effect.Effect<void>
}

/** The relay's side of recovery, for the handlers this process knows. */
export const makeWatch = (handlers: ReadonlyArray<EventHandler>) =>
  Effect.gen(function* () {
    const transport = yield* EventTransport
    const sql = yield* SqlClient.SqlClient
    let recovering = false
    const check = Effect.gen(function* () {
      if (Option.isSome(yield* transport.epoch)) return false
      const requeued = yield* requeueUnhandled(handlers).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      const epoch = yield* transport.adoptEpoch(uuidv7())
      recovering = true
      yield* Metric.set(transportRecovering, 1)
      yield* Metric.increment(transportDataLosses)
      yield* Metric.incrementBy(eventsRequeued, requeued)
      yield* Effect.logWarning(`The transport has no epoch marker (Redis lost its data, or is new): ${requeued} events re-queued from the outbox`).pipe(
        Effect.annotateLogs({ requeued, epoch })
      )
      return true
    })
    const outboxEmpty = Effect.suspend(() => {
      if (!recovering) return Effect.void
      recovering = false
      return Effect.zipRight(Metric.set(transportRecovering, 0), Effect.logInfo("Events re-queued after the transport's data loss are published again"))
    })
    return { check, outboxEmpty } satisfies Watch
  })
