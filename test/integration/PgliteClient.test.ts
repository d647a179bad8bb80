import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import { PgliteTest } from "../support/Database.js"
import { expectRowsRoundTrip } from "../support/RowRoundTrip.js"
import { emails, insertUser, user } from "../support/UserRows.js"


describe("PgliteClient", () => {
  it.layer(PgliteTest)("rows", (it) => {
    it.effect("writes camelCase fields to snake_case columns and reads them back camelCase", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const ada = user("ada@example.com")
        yield* insertUser(ada)
        const rows = yield* sql`SELECT * FROM users WHERE id = ${ada.id}`
        expect(rows).toEqual([ada])
        expect(rows[0]?.["createdAt"]).toBeInstanceOf(Date)
      }))

    it.effect("round-trips text[], jsonb and timestamptz, and returns int8 as a string like node-pg", () => expectRowsRoundTrip)

    it.effect("executes multi-statement text unprepared and returns arrays for values", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const results = yield* sql`SELECT 1 AS one_value; SELECT 2 AS two_value`.unprepared
        expect(results).toEqual([[{ oneValue: 1 }], [{ twoValue: 2 }]])
        expect(yield* sql`SELECT 1 AS a, 'b' AS b`.values).toEqual([[1, "b"]])
        const failed = yield* Effect.flip(sql`SELECT no_such_column FROM users`)
        expect(failed._tag).toBe("SqlError")
      }))
  })

  it.layer(PgliteTest)("transactions", (it) => {
    it.effect("commit keeps every write, a failure rolls every write back", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.withTransaction(insertUser(user("kept@example.com")))
        const failed = yield* sql.withTransaction(
          Effect.zipRight(insertUser(user("lost@example.com")), Effect.fail("boom"))
        ).pipe(Effect.exit)
        expect(Exit.isFailure(failed)).toBe(true)
        // A failed nested transaction rolls back to its savepoint only.
        yield* sql.withTransaction(
          Effect.gen(function*() {
            yield* insertUser(user("outer@example.com"))
            yield* sql.withTransaction(Effect.zipRight(insertUser(user("inner@example.com")), Effect.fail("no")))
              .pipe(Effect.ignore)
          })
        )
        expect(yield* emails).toEqual([{ email: "kept@example.com" }, { email: "outer@example.com" }])
      }))
  })

  it.layer(PgliteTest)("one session", (it) => {
    // PGlite has a single session: without the permit, B's statements would be sent while A's
    // transaction is open and run inside it, so B would count A's uncommitted row ("1") and
    // B's insert would be rolled back with A (or land after A's rollback, having seen "1").
    it.effect("a plain query waits for another fiber's transaction instead of running inside it", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const inserted = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const bStarted = yield* Deferred.make<void>()
        const a = yield* sql.withTransaction(
          Effect.gen(function*() {
            yield* insertUser(user("a@example.com"))
            yield* Deferred.succeed(inserted, undefined)
            yield* Deferred.await(release)
            return yield* Effect.fail("A gives up")
          })
        ).pipe(Effect.fork)
        yield* Deferred.await(inserted)

        const b = yield* Effect.gen(function*() {
          yield* Deferred.succeed(bStarted, undefined)
          const [seen] = yield* sql<{ readonly n: string }>`SELECT count(*) AS n FROM users`
          yield* insertUser(user("b@example.com"))
          return seen?.n
        }).pipe(Effect.fork)
        yield* Deferred.await(bStarted)
        expect(yield* Fiber.poll(b)).toEqual(Option.none())

        yield* Deferred.succeed(release, undefined)
        expect(Exit.isFailure(yield* Fiber.await(a))).toBe(true)
        expect(yield* Fiber.join(b)).toBe("0")
        expect(yield* emails).toEqual([{ email: "b@example.com" }])
      }))

    it.effect("interrupting a fiber that holds a transaction rolls it back and frees the session", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const entered = yield* Deferred.make<void>()
        const holder = yield* sql.withTransaction(
          insertUser(user("held@example.com")).pipe(
            Effect.zipRight(Deferred.succeed(entered, undefined)),
            Effect.zipRight(Effect.never)
          )
        ).pipe(Effect.fork)
        yield* Deferred.await(entered)

        // A second transaction queued behind the holder can itself be interrupted while waiting.
        const queued = yield* Deferred.make<void>()
        const waiter = yield* Deferred.succeed(queued, undefined).pipe(
          Effect.zipRight(sql.withTransaction(insertUser(user("waiter@example.com")))),
          Effect.fork
        )
        yield* Deferred.await(queued)
        expect(yield* Fiber.poll(waiter)).toEqual(Option.none())
        yield* Fiber.interrupt(waiter)
        yield* Fiber.interrupt(holder)

        // This query can only run once the holder's permit is back; neither write survived.
        const left = yield* sql`SELECT email FROM users WHERE email IN ('held@example.com', 'waiter@example.com')`
        expect(left).toEqual([])
      }))
  })
  // The data directory on disk (a restart, the lock): test/slow/PgliteDataDir.test.ts.
})
