import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { migrations } from "../../migrations/index.js"
import {
  MigrationsLive,
  MigrationsTable,
  NameTransforms,
  PostgresClientLive,
  runMigrations
} from "../../src/repositories/sql/Database.js"
import { makeScratchDatabase, PostgresTest, skipPostgres } from "../support/Database.js"

/** Every migration this build ships, as `[id, name]`: what a fresh database ends up with. */
const shipped = Effect.map(migrations, (all) => all.map(([id, name]) => [id, name] as const))

const createdAt = new Date("2024-05-01T10:00:00.123Z")

describe.skipIf(skipPostgres)("Postgres", () => {
  it.layer(PostgresTest)("a migrated scratch database", (it) => {
    it.effect("has the schema, and rows round-trip exactly as they do on PGlite", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const applied = yield* sql`SELECT migration_id, name FROM ${sql(MigrationsTable)} ORDER BY migration_id`
        expect(applied).toEqual((yield* shipped).map(([migrationId, name]) => ({ migrationId, name })))

        const owner = { id: crypto.randomUUID(), email: "ada@example.com", name: "Ada", role: "admin", createdAt }
        yield* sql`INSERT INTO users ${sql.insert(owner)}`
        const scopes = ["projects:read", "a,b", "quo\"te", "NULL", ""]
        const key = {
          id: crypto.randomUUID(),
          userId: owner.id,
          name: "ci",
          prefix: "fb_abc",
          secretHash: "hash",
          scopes,
          expiresAt: null,
          createdAt
        }
        yield* sql`INSERT INTO api_keys ${sql.insert(key)}`

        expect(yield* sql`SELECT * FROM users WHERE id = ${owner.id}`).toEqual([owner])
        const [stored] = yield* sql`SELECT scopes, expires_at, created_at FROM api_keys WHERE id = ${key.id}`
        expect(stored).toEqual({ scopes, expiresAt: null, createdAt })
        const payload = { taskId: "t1", labels: ["x"], nested: { dueAt: null, n: 1.5 } }
        const [json] = yield* sql`SELECT ${JSON.stringify(payload)}::jsonb AS payload, count(*) AS n
          FROM users WHERE id = ${owner.id}`
        expect(json).toEqual({ payload, n: "1" })
        const [snake] = yield* sql`SELECT '{"old_value": 1}'::jsonb AS change`
        expect(snake).toEqual({ change: { oldValue: 1 } })
      }))
  })

  it.scoped("the production layers read DATABASE_URL through Config and migrate", () =>
    Effect.gen(function*() {
      const url = yield* makeScratchDatabase
      const config = ConfigProvider.fromMap(new Map([["DATABASE_URL", Redacted.value(url)]]))
      const [row] = yield* Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`SELECT current_setting('application_name') AS app_name, count(*) AS migrations
          FROM ${sql(MigrationsTable)}`
      ).pipe(
        Effect.provide(MigrationsLive.pipe(Layer.provideMerge(PostgresClientLive))),
        Effect.withConfigProvider(config)
      )
      expect(row).toEqual({ appName: "flowboard", migrations: String((yield* shipped).length) })
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
