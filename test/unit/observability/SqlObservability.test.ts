import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Metric, Option, Stream, TestClock } from "effect"
import { dbQueryDuration, dbQueryErrors, dbSlowQueries } from "../../../src/observability/Metrics.js"
import { attachToSpan, makeRequestStats } from "../../../src/observability/RequestStats.js"
import { instrumentTracer, type SlowQuery, SqlObservabilityLive, statementName } from "../../../src/observability/SqlObservability.js"

/** A connection whose every statement takes `millis` of (test) time, failing on `FAIL`. */
const slowConnection = (millis: number): Connection => {
  const run = (sql: string) =>
    Effect.sleep(Duration.millis(millis)).pipe(
      Effect.zipRight(sql.includes("FAIL") ? Effect.fail(new SqlError({ message: "boom" })) : Effect.succeed([]))
    )
  return {
    execute: (sql) => run(sql),
    executeRaw: (sql) => run(sql),
    executeValues: (sql) => run(sql),
    executeUnprepared: (sql) => run(sql),
    executeStream: () => Stream.empty
  }
}

const clientTaking = (millis: number) =>
  SqlClient.make({ acquirer: Effect.succeed(slowConnection(millis)), compiler: PgClient.makeCompiler(), spanAttributes: [] }).pipe(
    Effect.provide(Reactivity.layer)
  )

/** Runs `effect` to completion while moving the test clock past the statements' time. */
const withTime = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(Duration.seconds(10))
    return yield* Fiber.join(fiber)
  })

const statementSeries = (name: string) => ({
  count: Effect.map(Metric.value(dbQueryDuration.pipe(Metric.tagged("statement", name))), (s) => s.count),
  slow: Effect.map(Metric.value(dbSlowQueries.pipe(Metric.tagged("statement", name))), (s) => s.count),
  errors: Effect.map(Metric.value(dbQueryErrors.pipe(Metric.tagged("statement", name))), (s) => s.count)
})

describe("SqlObservability", () => {
  it.effect("times each statement under the name of its span, and reports the slow ones without parameter values", () =>
    Effect.gen(function* () {
      const slow: Array<SlowQuery> = []
      const tracer = instrumentTracer(yield* Effect.tracer, { slowQueryMs: 100, onSlowQuery: (q) => void slow.push(q) })
      const fast = yield* clientTaking(20)
      const sluggish = yield* clientTaking(250)
      const series = statementSeries("SqlObsTest.find")
      const before = { count: yield* series.count, slow: yield* series.slow }

      yield* withTime(
        Effect.gen(function* () {
          yield* fast`SELECT * FROM tasks WHERE id = ${"secret-id-1"}`
          yield* sluggish`SELECT * FROM tasks WHERE title = ${"hunter2"}`
        }).pipe(Effect.withSpan("SqlObsTest.find"), Effect.withTracer(tracer))
      )

      expect((yield* series.count) - before.count).toBe(2)
      expect((yield* series.slow) - before.slow).toBe(1)
      expect(slow).toHaveLength(1)
      expect(slow[0]).toMatchObject({ statement: "SqlObsTest.find", sql: "SELECT * FROM tasks WHERE title = $1", durationMs: 250 })
      expect(JSON.stringify(slow)).not.toContain("hunter2")
    }))

  it.effect("adds a request's SQL time to its stats through the server span, and counts failures", () =>
    Effect.gen(function* () {
      const tracer = instrumentTracer(yield* Effect.tracer, { slowQueryMs: 10_000, onSlowQuery: () => {} })
      const sql = yield* clientTaking(40)
      const stats = makeRequestStats("req-sql-1")
      const errorsBefore = yield* statementSeries("SqlObsTest.fail").errors

      yield* withTime(
        Effect.gen(function* () {
          attachToSpan(yield* Effect.currentSpan, stats)
          yield* sql`SELECT 1`.pipe(Effect.withSpan("SqlObsTest.one"))
          yield* sql`SELECT 2`.pipe(Effect.withSpan("SqlObsTest.two"), Effect.withSpan("SqlObsTest.outer"))
          yield* Effect.ignore(sql`SELECT FAIL`.pipe(Effect.withSpan("SqlObsTest.fail")))
        }).pipe(Effect.withSpan("http.server GET", { kind: "server" }), Effect.withTracer(tracer))
      )

      expect(stats).toMatchObject({ sqlStatements: 3, sqlMillis: 120 })
      expect((yield* statementSeries("SqlObsTest.fail").errors) - errorsBefore).toBe(1)
    }))

  it.effect("the layer logs slow queries as warnings with the statement, its text and the request", () =>
    Effect.gen(function* () {
      const lines: Array<{ readonly message: unknown; readonly annotations: Record<string, unknown> }> = []
      const capture = Logger.make<unknown, void>(({ annotations, message }) => {
        lines.push({ message, annotations: Object.fromEntries(annotations) })
      })
      const sql = yield* clientTaking(500)
      const stats = makeRequestStats("req-slow-1")
      yield* withTime(
        Effect.gen(function* () {
          attachToSpan(yield* Effect.currentSpan, stats)
          yield* sql`UPDATE tasks SET title = ${"x"} WHERE id = ${"y"}`.pipe(Effect.withSpan("SqlObsTest.update"))
          yield* Effect.sleep(Duration.millis(1)) // let the logging fiber take its turn
        }).pipe(Effect.withSpan("http.server POST", { kind: "server" }))
      ).pipe(Effect.provide(SqlObservabilityLive.pipe(Layer.provide(Logger.replace(Logger.defaultLogger, capture)))))

      const warning = lines.find((l) => JSON.stringify(l.message).includes("slow query"))
      expect(warning?.annotations).toMatchObject({
        statement: "SqlObsTest.update",
        sql: "UPDATE tasks SET title = $1 WHERE id = $2",
        durationMs: 500,
        correlationId: "req-slow-1"
      })
    }))

  it("names a statement by its nearest meaningful span, else by its verb", () => {
    expect(statementName(Option.none(), "  select 1")).toBe("SELECT")
    expect(statementName(Option.none(), "VACUUM")).toBe("other")
  })
})
