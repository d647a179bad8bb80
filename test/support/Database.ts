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
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * initdb plus migrations costs seconds; restoring a snapshot about half a second. So one
 * migrated template is made and every `PgliteTest` build starts from it. The template is kept
 * on disk (node_modules/.cache), keyed by a digest of the migrations, so test files — each in
 * its own module scope — share it instead of each paying for initdb.
 */
const migrationsDir = fileURLToPath(new URL("../../migrations/", import.meta.url))
const templateFile = (() => {
  const digest = createHash("sha256")
  for (const file of readdirSync(migrationsDir).sort()) digest.update(file).update(readFileSync(join(migrationsDir, file)))
  const dir = fileURLToPath(new URL("../../node_modules/.cache/flowboard/", import.meta.url))
  return join(dir, `pglite-template-${digest.digest("hex").slice(0, 16)}.tar`)
})()

const makeTemplate = Effect.scoped(
  Effect.gen(function*() {
    const template = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
    yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, template))
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

const pgliteTemplate = Effect.runSync(
  Effect.cached(
    Effect.suspend(() =>
      existsSync(templateFile) ? Effect.sync(() => new Blob([readFileSync(templateFile)])) : makeTemplate
    )
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
