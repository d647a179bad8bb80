/**
 * Databases for integration suites.
 *
 * `PgliteTest` is always available. `PostgresTest` needs a server (`TEST_DATABASE_URL`, else
 * `DATABASE_URL`); guard a suite with `describe.skipIf(skipPostgres)`. Without a server the
 * suite is skipped, unless `REQUIRE_SERVICES=1` (CI), where it runs and its layer fails.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { type Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"

/**
 * initdb plus migrations costs seconds; restoring a snapshot about half a second. So each test
 * process migrates one template database, once, and every `PgliteTest` build starts from it.
 */
const pgliteTemplate = Effect.runSync(
  Effect.cached(
    Effect.scoped(
      Effect.gen(function*() {
        const template = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
        yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, template))
        return yield* template.dumpDataDir
      })
    ).pipe(Effect.provide(Reactivity.layer))
  )
)

/**
 * An in-memory PGlite with the schema applied. Each top-level `it.layer` gets its own
 * database; within one build, layers that need `SqlClient` share it (memoisation).
 */
export const PgliteTest: Layer.Layer<SqlClient.SqlClient, SqlError | Migrator.MigrationError> = Layer
  .unwrapEffect(
    Effect.map(
      pgliteTemplate,
      (loadDataDir) => PgliteClient.layer({ dataDir: "memory://", loadDataDir, ...NameTransforms })
    )
  )

/** The Postgres server to test against, if any. */
export const postgresUrl: string | undefined = process.env["TEST_DATABASE_URL"] ?? process.env["DATABASE_URL"]
export const postgresAvailable = postgresUrl !== undefined
export const servicesRequired = process.env["REQUIRE_SERVICES"] === "1"
/** For `describe.skipIf(skipPostgres)`: skip only when Postgres is absent and not required. */
export const skipPostgres = !postgresAvailable && !servicesRequired

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return Redacted.make(parsed.toString())
}

/**
 * Creates an empty database `fb_test_<random>` on the server and returns its URL; drops it
 * (even with connections left open) when the scope closes.
 */
export const makeScratchDatabase: Effect.Effect<
  Redacted.Redacted,
  SqlError,
  Scope.Scope | Reactivity.Reactivity
> = Effect.gen(function*() {
  if (postgresUrl === undefined) {
    return yield* Effect.dieMessage(
      "Postgres is required (REQUIRE_SERVICES=1) but neither TEST_DATABASE_URL nor DATABASE_URL is set"
    )
  }
  // Not Effect's Random: under the test environment it is seeded, and parallel suites collide.
  const database = `fb_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`
  const admin = yield* PgClient.make({ url: withDatabase(postgresUrl, "postgres"), maxConnections: 1 })
  yield* admin`CREATE DATABASE ${admin(database)}`
  yield* Effect.addFinalizer(() =>
    admin`DROP DATABASE IF EXISTS ${admin(database)} WITH (FORCE)`.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning(`Could not drop test database ${database}`, cause))
    )
  )
  return withDatabase(postgresUrl, database)
})

/** A scratch database, migrated, given as `SqlClient` and `PgClient` (for LISTEN/NOTIFY). */
export const PostgresTest: Layer.Layer<
  SqlClient.SqlClient | PgClient.PgClient,
  SqlError | Migrator.MigrationError
> = Layer.scopedContext(
  Effect.gen(function*() {
    const url = yield* makeScratchDatabase
    // Acquired after the database, so its pool is closed before the database is dropped.
    const client = yield* PgClient.make({ url, ...NameTransforms })
    yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
    return Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client))
  })
).pipe(Layer.provide(Reactivity.layer))
