/**
 * Units of work interrupted while they wait on a row lock, on real Postgres: the pool must not
 * wedge. `@effect/sql-pg` cancels an interrupted statement with `pg_cancel_backend` on another
 * pool connection; when units of work held the whole pool, those cancels waited for a
 * connection that only they could free (`npm run bench:http`'s create rounds answered nothing
 * for seconds after a client went away mid-burst). The transactor keeps a reserve.
 *
 * Under the test clock on purpose: the driver's own 5 s give-up on a cancel never fires here, so
 * the interrupts below finish only if the cancels get a connection.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { OutboxWakeUpLive } from "../../src/repositories/sql/OutboxWakeUp.js"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Transactor } from "../../src/repositories/Transactor.js"
import { SqlTransactorLive, transactionSlots } from "../../src/repositories/sql/SqlTransactor.js"
import { PostgresTest, skipPostgres } from "../support/Database.js"

const Live = SqlTransactorLive.pipe(Layer.provide(OutboxWakeUpLive), Layer.provideMerge(PostgresTest))

describe("transaction slots", () => {
  it("leave a fifth of the pool (at least one connection) outside units of work", () => {
    expect([1, 2, 4, 5, 10, 20].map(transactionSlots)).toEqual([1, 1, 3, 4, 8, 16])
  })
})

describe.skipIf(skipPostgres)("interrupted units of work, on Postgres", () => {
  layer(Live, { timeout: 60_000 })((it) => {
    it.effect("twelve units waiting on a lock held by a thirteenth are interrupted, and the pool is free after", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const { transaction } = yield* Transactor
        yield* sql`CREATE TABLE contended (id int PRIMARY KEY, n int NOT NULL)`
        yield* sql`INSERT INTO contended VALUES (1, 0)`
        const lock = sql`SELECT n FROM contended WHERE id = 1 FOR UPDATE`

        const holding = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(transaction(Effect.zipRight(lock, Effect.zipRight(Deferred.succeed(holding, undefined), Effect.never))))
        yield* Deferred.await(holding)
        const waiters = yield* Effect.forEach(Array.from({ length: 12 }), () => Effect.fork(transaction(lock)))
        // Every connection a unit may hold is now in use: the holder's and those blocked on its lock.
        yield* Effect.repeat(
          sql<{ readonly waiting: number }>`SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          { until: (rows) => (rows[0]?.waiting ?? 0) >= transactionSlots(10) - 1 }
        )

        yield* Fiber.interruptAll(waiters)
        yield* Fiber.interrupt(holder)

        // The lock and the pool are free: a unit takes the row and writes.
        yield* transaction(Effect.zipRight(lock, sql`UPDATE contended SET n = n + 1 WHERE id = 1`))
        const rows = yield* sql<{ readonly n: number }>`SELECT n FROM contended WHERE id = 1`
        expect(rows[0]?.n).toBe(1)
        const stuck = yield* sql<{ readonly count: number }>`SELECT count(*)::int AS count FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction'`
        expect(stuck[0]?.count).toBe(0)
      }))
  })
})
