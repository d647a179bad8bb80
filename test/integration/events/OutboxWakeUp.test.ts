/**
 * Relays are woken after the commit of a unit of work that appended outbox rows, once per unit
 * and coalesced across units, never by a trigger inside the writing transaction (which made
 * Postgres commit every write one after another: OutboxWakeUp.ts).
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Deferred, Effect, Layer, Queue, Ref, Stream, TestClock } from "effect"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { coalesced, OutboxChannel, tracking } from "../../../src/repositories/sql/OutboxWakeUp.js"
import { Transactor } from "../../../src/repositories/Transactor.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { PostgresTest, skipPostgres } from "../../support/Database.js"

describe("outbox wake-up: when it asks", () => {
  const counting = Effect.map(Ref.make(0), (asks) => ({ asks, wakeUp: tracking(Ref.update(asks, (n) => n + 1)) }))

  it.effect("once per outermost unit that appended, after it succeeded; nested units join it", () =>
    Effect.gen(function* () {
      const { asks, wakeUp } = yield* counting
      const insideBefore = yield* wakeUp.tracked(
        Effect.gen(function* () {
          yield* wakeUp.appended
          yield* wakeUp.tracked(wakeUp.appended)
          yield* wakeUp.appended
          return yield* Ref.get(asks)
        })
      )
      expect(insideBefore).toBe(0)
      expect(yield* Ref.get(asks)).toBe(1)
    }))

  it.effect("not for a unit that failed, nor for one that appended nothing; at once outside any unit", () =>
    Effect.gen(function* () {
      const { asks, wakeUp } = yield* counting
      yield* Effect.flip(wakeUp.tracked(Effect.zipRight(wakeUp.appended, Effect.fail("rolled back"))))
      yield* wakeUp.tracked(Effect.void)
      expect(yield* Ref.get(asks)).toBe(0)
      yield* wakeUp.appended
      expect(yield* Ref.get(asks)).toBe(1)
    }))

  it.scoped("asks within a send and its spacing become one more send, not one each", () =>
    Effect.gen(function* () {
      const sends = yield* Queue.unbounded<number>()
      let n = 0
      const ask = yield* coalesced(Effect.suspend(() => Queue.offer(sends, (n += 1))), "2 millis")
      yield* ask
      expect(yield* Queue.take(sends)).toBe(1)
      // The loop now sleeps out its spacing on the test clock: twenty asks wait as one.
      for (let i = 0; i < 20; i++) yield* ask
      yield* TestClock.adjust("2 millis")
      expect(yield* Queue.take(sends)).toBe(2)
      yield* TestClock.adjust("2 millis")
      expect(yield* Queue.size(sends)).toBe(0)
      expect(n).toBe(2)
    }))
})

describe.skipIf(skipPostgres)("outbox wake-up on Postgres", () => {
  layer(SqlRepositoriesLive.pipe(Layer.provideMerge(PostgresTest)), { excludeTestServices: true, timeout: 30_000 })((it) => {
    it.scoped("a listener is notified after a unit of work commits, with its rows visible; the insert trigger is gone", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const pg = yield* PgClient.PgClient
        const { transaction } = yield* Transactor
        const outbox = yield* OutboxRepository
        const triggers = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'outbox_notify'`
        expect(triggers[0]?.n).toBe(0)

        const listening = yield* Deferred.make<void>()
        const seen = yield* Queue.unbounded<number>()
        yield* pg.listen(OutboxChannel).pipe(
          Stream.runForEach((payload) =>
            payload === "probe"
              ? Deferred.succeed(listening, undefined)
              // What a relay woken now would find.
              : Effect.flatMap(sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM outbox`, (rows) => Queue.offer(seen, rows[0]?.n ?? -1))),
          Effect.forkScoped
        )
        // LISTEN has no acknowledgement: probe until one of ours comes back.
        const probe = sql`SELECT pg_notify(${OutboxChannel}, 'probe')`.pipe(Effect.zipRight(Effect.sleep("50 millis")), Effect.forever)
        yield* Effect.raceFirst(Deferred.await(listening), probe).pipe(Effect.timeout("10 seconds"))

        yield* transaction(Effect.zipRight(outbox.append([anEnvelope(), anEnvelope()]), outbox.append([anEnvelope()])))
        expect(yield* Queue.take(seen).pipe(Effect.timeout("10 seconds"))).toBe(3)
        // A unit that fails after appending rolls back and asks for nothing; an insert outside a
        // unit asks at once: the next notification sees four rows, not three.
        yield* Effect.flip(transaction(Effect.zipRight(outbox.append([anEnvelope()]), Effect.fail("rolled back"))))
        yield* outbox.append([anEnvelope()])
        expect(yield* Queue.take(seen).pipe(Effect.timeout("10 seconds"))).toBe(4)
      }))
  })
})
