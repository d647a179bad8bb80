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
import { Context, Effect, Layer, Redacted, Scope } from "effect"
import { MigrationsTable, NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { templateFile } from "./PgliteTemplateFile.js"

/**
 * initdb plus migrations costs seconds; restoring a snapshot about one. So one migrated
 * template is made (by the global setup, before any worker starts) and every PGlite in the
 * tests starts from it. It is kept in node_modules/.cache, keyed by a digest of the migrations.
 */
export const makeTemplate = Effect.scoped(
  Effect.gen(function*() {
    const template = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
    yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, template))
    // Nothing in the tests creates databases; without the two template databases the snapshot
    // is a third smaller and every PGlite boots from it about a third faster.
    yield* template.unsafe("UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')")
    yield* template.unsafe("DROP DATABASE template0")
    yield* template.unsafe("DROP DATABASE template1")
    yield* template.unsafe("CHECKPOINT")
    const blob = yield* template.dumpDataDir
    const bytes = new Uint8Array(yield* Effect.promise(() => blob.arrayBuffer()))
    // Write-then-rename: parallel workers may race to create it; each rename is atomic.
    const partial = `${templateFile}.${process.pid}`
    yield* Effect.sync(() => {
      mkdirSync(dirname(templateFile), { recursive: true })
      writeFileSync(partial, bytes)
      renameSync(partial, templateFile)
    })
    return blob
  })
).pipe(Effect.provide(Reactivity.layer))

/** The migrated template as a PGlite data-directory tarball (`loadDataDir`), made once per worker. */
export const pgliteTemplate: Effect.Effect<Blob, SqlError | Migrator.MigrationError> = Effect.runSync(
  Effect.cached(
    Effect.suspend(() =>
      existsSync(templateFile) ? Effect.sync(() => new Blob([readFileSync(templateFile)])) : makeTemplate
    )
  )
)

/**
 * Booting PGlite costs about a second of CPU, which many suites each paid again. Test files
 * share one module cache per worker (vitest.config.ts), so a worker keeps one booted database
 * and each `PgliteTest` build gets it back emptied: the tables the migrations made are
 * truncated, anything else a suite created is dropped. The database outlives every scope here;
 * it goes with the worker process.
 */
const shared = Effect.runSync(
  Effect.cached(
    Effect.gen(function*() {
      const loadDataDir = yield* pgliteTemplate
      const client = yield* PgliteClient.make({ dataDir: "memory://", loadDataDir, ...NameTransforms }).pipe(
        Scope.extend(Effect.runSync(Scope.make())),
        Effect.provide(Reactivity.layer)
      )
      const tables = new Set(yield* publicTables(client))
      return { client, tables, busy: false }
    })
  )
)

const publicTables = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql<{ readonly tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    (rows) => rows.map((row) => row.tablename)
  )

const emptied = (sql: SqlClient.SqlClient, schemaTables: ReadonlySet<string>) =>
  Effect.gen(function*() {
    const present = yield* publicTables(sql)
    const extra = present.filter((table) => !schemaTables.has(table))
    const data = present.filter((table) => schemaTables.has(table) && table !== MigrationsTable)
    if (extra.length > 0) yield* sql`DROP TABLE ${sql.literal(extra.map((t) => `"${t}"`).join(", "))} CASCADE`
    // The audit trail refuses TRUNCATE through a trigger (migrations/0007_audit.ts); a test
    // database being reset is the one place that may, and replica mode skips ordinary triggers.
    if (data.length > 0) {
      yield* sql`SET session_replication_role = replica`
      yield* sql`TRUNCATE ${sql.literal(data.map((t) => `"${t}"`).join(", "))} CASCADE`
      yield* sql`SET session_replication_role = DEFAULT`
    }
  })

/** A private database from the template, for a layer built while the worker's is taken. */
const privatePglite = Layer.unwrapEffect(
  Effect.map(pgliteTemplate, (loadDataDir) => PgliteClient.layer({ dataDir: "memory://", loadDataDir, ...NameTransforms }))
)

/**
 * An empty, migrated PGlite. Each top-level `it.layer` gets a database to itself; within one
 * build, layers that need `SqlClient` share it (memoisation). A layer built while another
 * holds the worker's database (nested layers) gets a private one rather than wiping it.
 */
export const PgliteTest: Layer.Layer<SqlClient.SqlClient, SqlError | Migrator.MigrationError> = Layer.unwrapScoped(
  Effect.gen(function*() {
    const database = yield* shared
    const taken = yield* Effect.acquireRelease(
      Effect.sync(() => !database.busy && (database.busy = true)),
      (held) => Effect.sync(() => held && (database.busy = false))
    )
    if (!taken) return privatePglite
    const { client, tables } = database
    yield* emptied(client, tables)
    return Layer.succeed(SqlClient.SqlClient, client)
  })
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
  // A deadlock is detected after this long (default one second); tests provoke them on purpose.
  yield* admin`ALTER DATABASE ${admin(database)} SET deadlock_timeout = '100ms'`
  // A scratch database need not survive a server crash: commits stop waiting for the WAL flush.
  yield* admin`ALTER DATABASE ${admin(database)} SET synchronous_commit = off`
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
