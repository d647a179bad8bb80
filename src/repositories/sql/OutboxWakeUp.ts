/**
 * How relays learn that the outbox has new rows on Postgres: one `NOTIFY flowboard_outbox` sent
 * after the commit, on its own, and coalesced, never inside the writing transaction.
 *
 * Migration 0002 had a statement trigger call `pg_notify` in every transaction that inserted
 * into the outbox, which is nearly every write. Postgres serialises the commits of notifying
 * transactions on one lock on the notification queue, held through the commit's WAL flush, so
 * every write in the database queued behind the one before it: 3,900 outbox inserts/s with the
 * trigger against 10,200 without, on the same server and client (`.scratch`-style probe recorded
 * in docs/performance.md), and the create-task path is one of those writes. Migration 0006 drops
 * the trigger; this module replaces it.
 *
 * - `tracked` wraps the outermost unit of work (the Transactor): when a unit that appended
 *   outbox rows commits, one wake-up is asked for. A unit that fails asks for nothing.
 * - `appended` is what the outbox repository calls after its insert: inside a tracked unit it
 *   only notes the append; outside one (an autocommitted insert) it asks at once.
 * - The asks go into a sliding queue of one; a fiber takes an ask, sends `SELECT pg_notify(..)`
 *   on a pool connection (a transaction of its own, taking the queue's lock only for itself), then
 *   waits `spacing` before taking the next, so any number of commits in that window cost one
 *   notification. A relay busy with a batch collects the wake-ups the same way.
 * - A notification that cannot be sent (Postgres unreachable) is logged once per outage; the
 *   relay's poll (RELAY_POLL_INTERVAL, 2 s) finds the rows anyway.
 *
 * A row inserted inside a transaction opened around the repositories but not through the
 * Transactor would be announced before its commit, and found by the poll instead: nothing in
 * Flowboard writes the outbox that way.
 *
 * On PGlite nobody listens (one process, polling relay): both operations do nothing.
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Context, type Duration, Effect, FiberRef, Layer, Option, Queue } from "effect"

export const OutboxChannel = "flowboard_outbox"

/** The unit of work in flight, when a tracked one is: has it appended outbox rows? */
const Appended = FiberRef.unsafeMake<{ appended: boolean } | null>(null)

export class OutboxWakeUp extends Context.Tag("flowboard/OutboxWakeUp")<
  OutboxWakeUp,
  {
    readonly tracked: <A, E, R>(unit: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    readonly appended: Effect.Effect<void>
  }
>() {}

const inert = OutboxWakeUp.of({ tracked: (unit) => unit, appended: Effect.void })

/**
 * Asks for `send` to run, coalesced: an ask while a send is under way or within `spacing` after
 * it becomes one more send once that window ends, however many asks came. Forks its loop into
 * the current scope.
 */
export const coalesced = (send: Effect.Effect<void>, spacing: Duration.DurationInput) =>
  Effect.gen(function* () {
    const asks = yield* Queue.sliding<void>(1)
    yield* Effect.forkScoped(Effect.forever(Queue.take(asks).pipe(Effect.zipRight(send), Effect.zipRight(Effect.sleep(spacing)))))
    return Effect.asVoid(Queue.offer(asks, undefined))
  })

/** `tracked` and `appended` over an `ask`: one ask per outermost unit that appended, after it succeeded. */
export const tracking = (ask: Effect.Effect<void>): typeof OutboxWakeUp.Service =>
  OutboxWakeUp.of({
    tracked: (unit) =>
      Effect.flatMap(FiberRef.get(Appended), (outer) => {
        // Nested: the outermost unit asks, after the real commit.
        if (outer !== null) return unit
        const state = { appended: false }
        return Effect.locally(unit, Appended, state).pipe(Effect.tap(() => (state.appended ? ask : Effect.void)))
      }),
    appended: Effect.flatMap(FiberRef.get(Appended), (state) => {
      if (state === null) return ask
      state.appended = true
      return Effect.void
    })
  })

export const make = (spacing: Duration.DurationInput = "2 millis") =>
  Effect.gen(function* () {
    if (Option.isNone(yield* Effect.serviceOption(PgClient.PgClient))) return inert
    const sql = yield* SqlClient.SqlClient
    let failing = false
    const send = sql`SELECT pg_notify(${OutboxChannel}, 'insert')`.pipe(
      Effect.withSpan("OutboxWakeUp.notify", { captureStackTrace: false }),
      Effect.zipRight(Effect.sync(() => (failing = false))),
      Effect.catchAll((error) =>
        failing ? Effect.void : Effect.zipRight(
          Effect.sync(() => (failing = true)),
          Effect.logWarning("Outbox wake-up could not be sent; relays find new events by polling until it can", error)
        ))
    )
    return tracking(yield* coalesced(send, spacing))
  })

export const OutboxWakeUpLive: Layer.Layer<OutboxWakeUp, never, SqlClient.SqlClient> = Layer.scoped(OutboxWakeUp, make())
