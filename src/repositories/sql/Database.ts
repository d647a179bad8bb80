/**
 * The SQL infrastructure, each piece a constant so that composing it twice still builds one
 * pool (Postgres) or opens one data directory (PGlite).
 */
import { Migrator, SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import * as Reactivity from "@effect/experimental/Reactivity"
import { Config, Context, Duration, Effect, Layer, Metric, Option, Redacted, Schedule, String } from "effect"
import Pg from "pg"
import { readFile } from "node:fs/promises"
import { migrationsDigest } from "../../../migrations/Digest.js"
import { migrations } from "../../../migrations/index.js"
import { infrastructureRetry } from "../../resilience/RetrySchedules.js"
import * as PgliteClient from "./PgliteClient.js"
import { seedFromTemplate } from "./PgliteTemplate.js"
import { isTransient } from "./SqlErrors.js"

/**
 * A name transform runs for every field of every row read (a board of 200 tasks: 3,000 calls),
 * over a few hundred distinct column names: each name's answer is computed once. Bounded, in
 * case some query makes names up.
 */
function remembered(transform: (name: string) => string): (name: string) => string {
  const known = new Map<string, string>()
  return (name) => {
    const hit = known.get(name)
    if (hit !== undefined) return hit
    const answer = transform(name)
    if (known.size < 4096) known.set(name, answer)
    return answer
  }
}

/**
 * Columns are snake_case in SQL, fields camelCase in TypeScript: `sql.insert({ projectId })`
 * writes `project_id` and rows come back as `{ projectId }`. Shared by both clients so an
 * adapter reads the same rows from either. Note that result names are transformed inside
 * jsonb values too (the @effect/sql default), while jsonb parameters are written as given.
 */
export const NameTransforms = {
  transformQueryNames: remembered(String.camelToSnake),
  transformResultNames: remembered(String.snakeToCamel)
} as const

export const MigrationsTable = "flowboard_migrations"

/** Label `state`: `used` (checked out), `idle` (open, waiting in the pool). */
export const dbConnections = Metric.gauge("db_client_connection_count", { description: "Postgres pool connections by state" })
export const dbConnectionsPending = Metric.gauge("db_client_connection_pending_requests", {
  description: "Requests waiting for a Postgres pool connection"
})
export const dbConnectionsMax = Metric.gauge("db_client_connection_max", { description: "The Postgres pool's size limit (DATABASE_POOL_MAX)" })

const PostgresConfig = Config.all({
  url: Config.redacted("DATABASE_URL"),
  maxConnections: Config.integer("DATABASE_POOL_MAX").pipe(Config.withDefault(10)),
  // Without it, a connection to an unreachable server (packets dropped) waits for the OS to give up.
  connectTimeout: Config.duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  // The server cancels a statement running longer (SQLSTATE 57014, classed transient): inside
  // REQUEST_TIMEOUT, so a stuck statement answers its request with a 503 of its own.
  statementTimeout: Config.duration("DATABASE_STATEMENT_TIMEOUT").pipe(
    Config.validate({ message: "DATABASE_STATEMENT_TIMEOUT must be longer than zero", validation: (d) => Duration.greaterThan(d, Duration.zero) }),
    Config.withDefault(Duration.seconds(15))
  ),
  poolSampleInterval: Config.duration("DATABASE_POOL_SAMPLE_INTERVAL").pipe(Config.withDefault(Duration.seconds(5)))
})

/**
 * Production: Postgres at `DATABASE_URL`. Also provides `PgClient` for LISTEN/NOTIFY. The `pg`
 * pool is made here rather than by `PgClient.make` so its counts (in use, idle, waiting) can
 * be sampled into gauges.
 */
export const PostgresClientLive = Layer.scopedContext(
  Effect.gen(function*() {
    const config = yield* PostgresConfig
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new Pg.Pool({
          connectionString: Redacted.value(config.url),
          max: config.maxConnections,
          // Also bounds the wait for a free connection of a full pool: either way the request gets its 503.
          connectionTimeoutMillis: Duration.toMillis(config.connectTimeout),
          statement_timeout: Duration.toMillis(config.statementTimeout),
          // A connection whose server vanished (packets dropped, no reset) is found dead by the
          // kernel's keepalive probes rather than after the OS's multi-minute retransmission limit.
          keepAlive: true,
          keepAliveInitialDelayMillis: 10_000,
          application_name: "flowboard"
        })
        // An idle connection the server drops emits "error"; the pool replaces it. Unhandled, it would crash the process.
        pool.on("error", () => {})
        return pool
      }),
      // `end` waits for every checked-out connection; one stuck on a dead server must not hold the exit.
      (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption(Duration.seconds(5)))
    )
    const client = yield* PgClient.fromPool({ acquire: Effect.succeed(pool), applicationName: "flowboard", ...NameTransforms })
    const sample = Effect.suspend(() => Effect.all([
      Metric.set(Metric.tagged(dbConnections, "state", "used"), pool.totalCount - pool.idleCount),
      Metric.set(Metric.tagged(dbConnections, "state", "idle"), pool.idleCount),
      Metric.set(dbConnectionsPending, pool.waitingCount),
      Metric.set(dbConnectionsMax, config.maxConnections)
    ]))
    yield* Effect.forkScoped(Effect.schedule(sample, Schedule.spaced(config.poolSampleInterval)))
    yield* sample
    return Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client))
  })
).pipe(Layer.provide(Reactivity.layer))

const PgliteConfig = Config.all({
  dataDir: Config.string("FLOWBOARD_DATA_DIR").pipe(Config.withDefault("./.flowboard")),
  // Postgres' default (128MB) is touched at boot: ~100 MB of RSS and a slower open, for a cache
  // the operating system's page cache gives PGlite's files anyway.
  sharedBuffers: Config.string("FLOWBOARD_PGLITE_SHARED_BUFFERS").pipe(Config.withDefault("16MB")),
  // Set by bin/flowboard.mjs (node_modules/.cache/flowboard); unset, no template is used.
  cacheDir: Config.option(Config.string("FLOWBOARD_CACHE_DIR"))
})

/** PGlite's version, part of the template's key: another Postgres build may not read its files. */
const pgliteVersion = Effect.promise(async () => {
  try {
    const pkg: unknown = JSON.parse(await readFile(new URL("../package.json", import.meta.resolve("@electric-sql/pglite")), "utf8"))
    return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown"
  } catch {
    return "unknown"
  }
})

/**
 * Embedded: PGlite in `FLOWBOARD_DATA_DIR` (`memory://` for a throwaway database). An empty data
 * directory starts as a copy of the migrated template when a cache directory is configured
 * (PgliteTemplate.ts).
 */
export const PgliteClientLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* PgliteConfig
    const settings = { shared_buffers: config.sharedBuffers }
    const template = Option.isSome(config.cacheDir)
      ? seedFromTemplate({
        cacheDir: config.cacheDir.value,
        key: `${migrationsDigest().slice(0, 16)}-${yield* pgliteVersion}-v1`,
        make: (dataDir) =>
          Effect.flatMap(PgliteClient.make({ dataDir, settings, ...NameTransforms }), (client) =>
            Effect.provideService(runMigrations, SqlClient.SqlClient, client)).pipe(Effect.provide(Reactivity.layer))
      })
      : undefined
    return PgliteClient.layer({ dataDir: config.dataDir, settings, beforeOpen: template, ...NameTransforms })
  })
)

/**
 * Why the embedded database did not open, when the reason is its data directory's lock (another
 * process holds it, see DataDirLock.ts): the directory, and the holder's pid when it is known.
 * For the CLI, which says so in a sentence rather than a stack trace.
 */
export const lockedDataDir = (error: unknown): Option.Option<{ readonly dataDir: string; readonly pid: Option.Option<number> }> => {
  const prefix = "PgliteClient: cannot lock "
  if (!(error instanceof SqlError) || !error.message.startsWith(prefix)) return Option.none()
  const holder = error.cause instanceof Error ? /in use by process (\d+)/.exec(error.cause.message) : null
  return Option.some({ dataDir: error.message.slice(prefix.length), pid: Option.map(Option.fromNullable(holder?.[1]), Number) })
}

const migrate = Migrator.make({})

/** As the file is named: `0001_initial`. */
export const migrationName = ([id, name]: readonly [number, string]) => `${id.toString().padStart(4, "0")}_${name}`

/**
 * Applies pending migrations and returns the ones it ran.
 *
 * Is `Migrator.make` safe with two processes starting at once? Only partly. Its run happens in
 * a transaction that first takes `LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE`, so once the
 * migrations table exists the second process waits, then finds nothing left to do. But the
 * table itself is created beforehand, outside that transaction, as "`SELECT 'table'::regclass`,
 * on failure `CREATE TABLE`": on a brand-new database both processes can see it missing and
 * the slower `CREATE TABLE` fails (duplicate pg_type / relation exists), aborting its start-up.
 * So the whole run goes under a transaction-scoped advisory lock, with the table created
 * (same shape as the Migrator's) while that lock is held; the Migrator's own transaction then
 * nests as a savepoint. The statements used also work on PGlite. (Seen: three start-ups on an
 * empty database, plain Migrator: two failed every time. Pinned by test/integration/Postgres.)
 */
export const runMigrations = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const applied = yield* sql.withTransaction(
    Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext(${MigrationsTable}))`
      yield* sql`CREATE TABLE IF NOT EXISTS ${sql(MigrationsTable)} (
        migration_id integer PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        name text NOT NULL
      )`
      return yield* migrate({ loader: migrations, table: MigrationsTable })
    })
  )
  if (applied.length === 0) {
    yield* Effect.logInfo("Database schema is up to date")
  } else {
    yield* Effect.logInfo("Applied migrations").pipe(
      Effect.annotateLogs("migrations", applied.map(migrationName).join(", "))
    )
  }
  return applied
}).pipe(Effect.withSpan("Database.runMigrations"))

// "Failed to acquire connection: connect ECONNREFUSED 127.0.0.1:5432", without the stack.
const describe = (error: { readonly message: string; readonly cause?: unknown }) =>
  error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message

/**
 * Runs the migrations when the application starts; provide a client layer below it. A database
 * that cannot be reached yet (refused, timed out, starting up) is waited for, on
 * `infrastructureRetry`: a process started before its database, or during a failover, comes up
 * when the database does (its port answers `503` meanwhile) rather than exiting. Any other
 * failure (wrong password, unknown database, a failing migration) stops the start at once.
 */
export const MigrationsLive = Layer.effectDiscard(
  runMigrations.pipe(
    Effect.tapError((error) =>
      isTransient(error)
        ? Effect.logWarning("database unavailable at start-up, retrying").pipe(Effect.annotateLogs("error", describe(error)))
        : Effect.void
    ),
    Effect.retry({ schedule: infrastructureRetry, while: isTransient })
  )
)
