/**
 * The batch path of the consumer (`ConsumerProcessor.processBatch`) on the SQL adapters: the inbox
 * rows in one statement, the handler's effect and its rollback in the database's own transaction.
 * The events are the ones the services really record; the handlers are the activity feed (which
 * offers `handleBatch`) and a probe that has only `handle` and whose every call appends a row to
 * the outbox, so a second application of one event would show as a second row. Each test gets an
 * empty database of its own, and every effect is counted there with SQL.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Metric, Option, Schedule } from "effect"
import { projectIdOf } from "../../../src/domain/Activity.js"
import { ServicesLive } from "../../../layers/Services.js"
import type { OutboxEnvelope } from "../../../src/domain/Events.js"
import { batchSplits, ConsumerProcessor } from "../../../src/events/ConsumerProcessor.js"
import { type EventHandler, HandlerError } from "../../../src/events/EventHandler.js"
import { ACTIVITY_FEED_HANDLER, ActivityFeedHandler } from "../../../src/events/handlers/ActivityFeedHandler.js"
import { wants } from "../../../src/events/HandlerRegistry.js"
import { Outbox } from "../../../src/events/Outbox.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../../support/Database.js"
import { makeProbe } from "../../unit/events/ConsumerSupport.js"
import { twoBusyProjects } from "../../unit/events/handlers/Scenario.js"

const envOn = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.mergeAll(ConsumerProcessor.Default, Outbox.Default, ServicesLive).pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(database))

/** The events of the scenario the activity feed takes, in outbox order, all of them distinct. */
const projectEvents = Effect.gen(function* () {
  const { alpha, beta } = yield* twoBusyProjects
  const feed = yield* ActivityFeedHandler
  const all = yield* Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll)
  // The doomed project's events are left out: its feed is gone and they would write nothing.
  const events = all.filter((event) => wants(feed, event.type) && Option.exists(projectIdOf(event), (id) => id === alpha.id || id === beta.id))
  return { feed, events }
})

const ids = (events: ReadonlyArray<OutboxEnvelope>) => events.map((event) => event.id)

const count = (query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<{ readonly n: number | string }>, SqlError>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(query(sql), (rows) => Number(rows[0]?.n ?? -1)))

const inboxRows = (handler: string, events: ReadonlyArray<OutboxEnvelope>) =>
  count((sql) => sql`SELECT count(*) AS n FROM inbox WHERE handler = ${handler} AND event_id IN ${sql.in(ids(events))}`)
const activityRows = (events: ReadonlyArray<OutboxEnvelope>) =>
  count((sql) => sql`SELECT count(*) AS n FROM activity WHERE id IN ${sql.in(ids(events))}`)
const deadLetterRows = count((sql) => sql`SELECT count(*) AS n FROM dead_letters`)

/** The probe's effects per source event, from the outbox: `[event id, rows]` for every event given. */
const probeEffects = (events: ReadonlyArray<OutboxEnvelope>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ readonly source: string; readonly n: number | string }>`
        SELECT payload ->> 'source' AS source, count(*) AS n FROM outbox
        WHERE payload ->> 'source' IN ${sql.in(ids(events))} GROUP BY 1`,
      (rows) => {
        const bySource = new Map(rows.map((row) => [row.source, Number(row.n)]))
        return events.map((event) => [event.id, bySource.get(event.id) ?? 0] as const)
      }
    )
  )

const each = (events: ReadonlyArray<OutboxEnvelope>, n: number) => events.map((event) => [event.id, n] as const)

/** `handler`, except that `poison` fails it permanently, after the handler has written its effect. */
const poisoned = (handler: EventHandler, poison: OutboxEnvelope): EventHandler => {
  const refuse = new HandlerError({ message: "poison", permanent: true })
  const batch = handler.handleBatch
  return {
    ...handler,
    handle: (event) => Effect.zipRight(handler.handle(event), event.id === poison.id ? Effect.fail(refuse) : Effect.void),
    ...(batch === undefined
      ? {}
      : { handleBatch: (events: ReadonlyArray<OutboxEnvelope>) => Effect.zipRight(batch(events), events.some((event) => event.id === poison.id) ? Effect.fail(refuse) : Effect.void) })
  }
}

const batchCases = <E>(engine: string, database: Layer.Layer<SqlClient.SqlClient, E>) => {
  const fresh = Effect.provide(envOn(database))

  describe(`ConsumerProcessor.processBatch on ${engine}`, () => {
    it.effect("an id twice in one batch is handled once: one inbox row, one effect", () =>
      Effect.gen(function* () {
        const { processBatch } = yield* ConsumerProcessor
        const { events, feed } = yield* projectEvents
        const probe = yield* makeProbe()
        expect(events.length).toBeGreaterThanOrEqual(12)
        const [first, second] = [events[0]!, events[1]!]
        const delivered = [first, second, first, ...events.slice(2), second]

        for (const handler of [feed, probe.handler]) {
          const outcomes = yield* processBatch(handler, delivered)
          expect(outcomes.map((o) => o._tag)).toStrictEqual([
            "Handled",
            "Handled",
            "Duplicate",
            ...events.slice(2).map(() => "Handled"),
            "Duplicate"
          ])
          expect(yield* inboxRows(handler.name, events)).toBe(events.length)
        }
        expect(yield* activityRows(events)).toBe(events.length)
        expect(yield* probeEffects(events)).toStrictEqual(each(events, 1))
        expect(yield* deadLetterRows).toBe(0)
      }).pipe(fresh))

    it.effect("a redelivered half batch applies only the events not yet in the inbox", () =>
      Effect.gen(function* () {
        const { processBatch } = yield* ConsumerProcessor
        const sql = yield* SqlClient.SqlClient
        const { events, feed } = yield* projectEvents
        const probe = yield* makeProbe()
        const half = Math.floor(events.length / 2)
        const [early, late] = [events.slice(0, half), events.slice(half)]

        for (const handler of [feed, probe.handler]) {
          expect((yield* processBatch(handler, early)).map((o) => o._tag)).toStrictEqual(early.map(() => "Handled"))
        }
        expect(yield* activityRows(early)).toBe(early.length)
        // The activity feed's rows are keyed by event id, so applying an event again would not
        // add one; take the early rows away, and any that came back would have been reapplied.
        yield* sql`DELETE FROM activity WHERE id IN ${sql.in(ids(early))}`

        // The whole batch again: its first half's acknowledgements were lost.
        for (const handler of [feed, probe.handler]) {
          const outcomes = yield* processBatch(handler, events)
          expect(outcomes.map((o) => o._tag)).toStrictEqual([...early.map(() => "Duplicate"), ...late.map(() => "Handled")])
          expect(yield* inboxRows(handler.name, events)).toBe(events.length)
        }
        expect(yield* activityRows(early)).toBe(0)
        expect(yield* activityRows(late)).toBe(late.length)
        expect(yield* probeEffects(events)).toStrictEqual(each(events, 1))
        expect(yield* deadLetterRows).toBe(0)
      }).pipe(fresh))

    it.effect("a poison event in the middle of a batch dead-letters alone; every other event commits once", () =>
      Effect.gen(function* () {
        const { processBatch } = yield* ConsumerProcessor
        const { events, feed } = yield* projectEvents
        const probe = yield* makeProbe()
        const middle = Math.floor(events.length / 2)
        const poison = events[middle]!
        const others = events.filter((event) => event.id !== poison.id)

        for (const handler of [feed, probe.handler]) {
          const outcomes = yield* processBatch(poisoned(handler, poison), events)
          expect(outcomes.map((o) => o._tag)).toStrictEqual(events.map((event) => (event.id === poison.id ? "DeadLettered" : "Handled")))
          expect(yield* inboxRows(handler.name, others)).toBe(others.length)
          expect(yield* inboxRows(handler.name, [poison])).toBe(0)
        }
        // Both handlers wrote the poison's effect before failing: it was rolled back each time.
        expect(yield* activityRows(others)).toBe(others.length)
        expect(yield* activityRows([poison])).toBe(0)
        expect(yield* probeEffects(events)).toStrictEqual(events.map((event) => [event.id, event.id === poison.id ? 0 : 1] as const))

        const sql = yield* SqlClient.SqlClient
        const letters = yield* sql<{ readonly handler: string; readonly eventId: string; readonly attempts: number }>`
          SELECT handler, event_id, attempts FROM dead_letters ORDER BY handler`
        expect(letters.map((letter) => ({ ...letter }))).toStrictEqual([
          { handler: ACTIVITY_FEED_HANDLER, eventId: poison.id, attempts: 1 },
          { handler: probe.handler.name, eventId: poison.id, attempts: 1 }
        ])
      }).pipe(fresh))
  })
}

batchCases("PGlite", PgliteTest)
describe.skipIf(skipPostgres)("Postgres", () => {
  batchCases("Postgres", PostgresTest)

  // Only Postgres runs two units at once (PGlite has one connection). A redelivery can arrive
  // while the first delivery's unit is still open, its events in another order: the second
  // unit's inbox insert waits for the first to commit, then finds every row. (An inbox that
  // checked before inserting lets both units through here: every effect twice.) No batch may
  // fail on the way, so none is split. Unsorted inserts could deadlock, but only in a race
  // too narrow for this test to provoke reliably.
  it.effect("two overlapping batches at once, in opposite orders: each event once, and no batch fails", () =>
    Effect.gen(function* () {
      const { processBatch } = yield* ConsumerProcessor
      const { events, feed } = yield* projectEvents
      const probe = yield* makeProbe({ name: "probe-concurrent", retry: Schedule.recurs(3) })
      const reversed = [...events].reverse()
      const splits = (handler: EventHandler) => Metric.value(Metric.tagged(batchSplits, "handler", handler.name))

      for (const handler of [feed, probe.handler]) {
        const before = (yield* splits(handler)).count
        const [forwards, backwards] = yield* Effect.all([processBatch(handler, events), processBatch(handler, reversed)], { concurrency: "unbounded" })
        const handledBy = new Map(events.map((event) => [event.id, 0]))
        for (const [batch, outcomes] of [[events, forwards], [reversed, backwards]] as const) {
          outcomes.forEach((outcome, i) => {
            expect(outcome._tag).not.toBe("DeadLettered")
            if (outcome._tag === "Handled") handledBy.set(batch[i]!.id, handledBy.get(batch[i]!.id)! + 1)
          })
        }
        expect([...handledBy.values()]).toStrictEqual(events.map(() => 1))
        expect((yield* splits(handler)).count - before).toBe(0)
        expect(yield* inboxRows(handler.name, events)).toBe(events.length)
      }
      expect(yield* activityRows(events)).toBe(events.length)
      expect(yield* probeEffects(events)).toStrictEqual(each(events, 1))
      expect(yield* deadLetterRows).toBe(0)
    }).pipe(Effect.provide(envOn(PostgresTest))))
})
