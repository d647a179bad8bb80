import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Metric, Redacted } from "effect"
import { migrations } from "../../migrations/index.js"
import {
  MigrationsLive,
  dbConnections,
  dbConnectionsMax,
  MigrationsTable,
  NameTransforms,
  PostgresClientLive,
  runMigrations
} from "../../src/repositories/sql/Database.js"
import { sqlState, toRepositoryError } from "../../src/repositories/sql/SqlErrors.js"
import { makeScratchDatabase, PostgresTest, skipPostgres } from "../support/Database.js"
import { expectRowsRoundTrip } from "../support/RowRoundTrip.js"

/** Every migration this build ships, as `[id, name]`: what a fresh database ends up with. */
const shipped = Effect.map(migrations, (all) => all.map(([id, name]) => [id, name] as const))


describe.skipIf(skipPostgres)("Postgres", () => {
  it.layer(PostgresTest)("a migrated scratch database", (it) => {
    it.effect("has the schema, and rows round-trip exactly as they do on PGlite", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const applied = yield* sql`SELECT migration_id, name FROM ${sql(MigrationsTable)} ORDER BY migration_id`
        expect(applied).toEqual((yield* shipped).map(([migrationId, name]) => ({ migrationId, name })))

        yield* expectRowsRoundTrip
      }))
  })

  // Live clock: the pool gauges are sampled on a schedule.
  it.scopedLive("the production layers read DATABASE_URL through Config, migrate, and report the pool", () =>
    Effect.gen(function*() {
      const url = yield* makeScratchDatabase
      const config = ConfigProvider.fromMap(new Map([["DATABASE_URL", Redacted.value(url)], ["DATABASE_POOL_MAX", "4"], ["DATABASE_POOL_SAMPLE_INTERVAL", "10 millis"]]))
      const gauges = Effect.all({
        used: Metric.value(Metric.tagged(dbConnections, "state", "used")),
        max: Metric.value(dbConnectionsMax)
      })
      const [row, busy] = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql`SELECT current_setting('application_name') AS app_name, count(*) AS migrations FROM ${sql(MigrationsTable)}`
        // While a transaction holds a connection, the sampled pool gauges count it as used.
        const busy = yield* sql.withTransaction(Effect.zipRight(Effect.zipRight(sql`SELECT 1`, Effect.sleep("100 millis")), gauges))
        return [row, busy] as const
      }).pipe(
        Effect.provide(MigrationsLive.pipe(Layer.provideMerge(PostgresClientLive))),
        Effect.withConfigProvider(config)
      )
      expect(row).toEqual({ appName: "flowboard", migrations: String((yield* shipped).length) })
      expect(busy.max.value).toBe(4)
      expect(busy.used.value).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(Reactivity.layer)))

  it.scopedLive("a statement past DATABASE_STATEMENT_TIMEOUT is cancelled by the server, as a transient failure", () =>
    Effect.gen(function*() {
      const url = yield* makeScratchDatabase
      const config = ConfigProvider.fromMap(new Map([["DATABASE_URL", Redacted.value(url)], ["DATABASE_STATEMENT_TIMEOUT", "200 millis"]]))
      const [setting, failure] = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ readonly timeout: string }>`SELECT current_setting('statement_timeout') AS timeout`
        const failure = yield* Effect.flip(sql`SELECT pg_sleep(5)`.pipe(Effect.mapError(toRepositoryError)))
        return [row?.timeout, failure] as const
      }).pipe(Effect.provide(PostgresClientLive), Effect.withConfigProvider(config))
      expect(setting).toBe("200ms")
      expect(sqlState(failure.cause)).toBe("57014")
      expect(failure.transient).toBe(true)
    }).pipe(Effect.provide(Reactivity.layer)))

  // Plain `Migrator.make` fails this: both processes create the migrations table at once.
  it.scoped("processes starting together on an empty database migrate it exactly once", () =>
    Effect.gen(function*() {
      const url = yield* makeScratchDatabase
      const startUp = Effect.scoped(
        Effect.flatMap(
          PgClient.make({ url, ...NameTransforms }),
          (client) => runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
        )
      )
      const results = yield* Effect.all([startUp, startUp, startUp], { concurrency: "unbounded" })
      expect(results.flat()).toEqual(yield* shipped)
    }).pipe(Effect.provide(Reactivity.layer)))
})
