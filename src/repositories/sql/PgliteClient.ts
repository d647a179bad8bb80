/**
 * A `SqlClient` backed by PGlite (Postgres compiled to WASM), for embedded mode and tests.
 *
 * PGlite is one Postgres backend: one session, so one transaction at a time. Any statement
 * sent while a transaction is open runs *inside* it, whichever fiber sent it. A single
 * semaphore permit therefore stands for the session: a plain statement holds it for itself,
 * a transaction holds it from BEGIN to COMMIT/ROLLBACK.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import { PgClient } from "@effect/sql-pg"
import type { PGlite } from "@electric-sql/pglite"
import { Effect, Layer, type Scope, Stream } from "effect"
import { mkdir } from "node:fs/promises"
import { lockDataDir } from "./DataDirLock.js"

export interface PgliteClientConfig {
  /** A directory for a durable database, or `memory://` for a throwaway one. */
  readonly dataDir: string
  /** Start an in-memory database from a snapshot taken with `dumpDataDir` (skips initdb). */
  readonly loadDataDir?: Blob | undefined
  readonly transformQueryNames?: ((name: string) => string) | undefined
  readonly transformResultNames?: ((name: string) => string) | undefined
  /** Postgres settings for the session, as `-c name=value` pairs (e.g. a smaller `shared_buffers`). */
  readonly settings?: Readonly<Record<string, string>> | undefined
  /** Runs on an on-disk data directory once it is locked and before PGlite opens it (e.g. to seed it). */
  readonly beforeOpen?: ((dataDir: string) => Effect.Effect<void, SqlError>) | undefined
}

export interface PgliteClient extends SqlClient.SqlClient {
  /** A snapshot of the whole database, taken between transactions. */
  readonly dumpDataDir: Effect.Effect<Blob, SqlError>
}

type Row = Record<string, unknown>
type TransformRows = (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

/**
 * node-pg returns int8 (e.g. `count(*)`) as a string; PGlite returns a number, or a bigint past
 * 2^53. Adapters must decode the same rows from both clients, so follow node-pg. (20 is int8's
 * type oid, `types.INT8`: PGlite itself is only loaded when a database opens.)
 */
const parsers = { 20: (value: string) => value }

/**
 * PGlite (a large module, then WebAssembly) is loaded by the first database opened, so the
 * processes and commands that never open one (`serve` on Postgres, `--help`) do not pay for it.
 */
const loadPglite = Effect.promise(() => import("@electric-sql/pglite"))

const fail = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })

export const make = (
  config: PgliteClientConfig
): Effect.Effect<PgliteClient, SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const onDisk = !config.dataDir.includes("://")
    if (onDisk) {
      // PGlite creates only the last segment of a data directory; a fresh deployment's
      // `FLOWBOARD_DATA_DIR=./var/lib/flowboard` needs its parents too.
      yield* Effect.tryPromise({
        try: () => mkdir(config.dataDir, { recursive: true }),
        catch: (cause) => new SqlError({ cause, message: `PgliteClient: cannot create ${config.dataDir}` })
      })
      yield* lockDataDir(config.dataDir)
      if (config.beforeOpen) yield* config.beforeOpen(config.dataDir)
    }
    const { PGlite: Pglite } = yield* loadPglite
    const settings = Object.entries(config.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`])
    const db: PGlite = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => {
          const startParams = settings.length > 0 ? { startParams: [...Pglite.defaultStartParams, ...settings] } : {}
          const options = config.loadDataDir ? { parsers, loadDataDir: config.loadDataDir, ...startParams } : { parsers, ...startParams }
          return Pglite.create(config.dataDir, options)
        },
        catch: (cause) => new SqlError({ cause, message: `PgliteClient: failed to open ${config.dataDir}` })
      }),
      (db) =>
        Effect.tryPromise(() => db.close()).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("PgliteClient: failed to close", cause))
        )
    )
    const session = yield* Effect.makeSemaphore(1)

    // PGlite cannot cancel a running statement, so an interrupted fiber waits for it to finish:
    // the permit is then only ever free when the session is idle.
    const attempt = <A>(evaluate: () => Promise<A>) =>
      Effect.uninterruptible(Effect.tryPromise({ try: evaluate, catch: fail }))

    const query = (sql: string, params: ReadonlyArray<unknown>) =>
      Effect.map(attempt(() => db.query<Row>(sql, [...params])), (result) => result.rows)

    const makeConnection = (guard: <A>(effect: Effect.Effect<A, SqlError>) => Effect.Effect<A, SqlError>) => {
      const execute = (sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows) =>
        guard(Effect.map(query(sql, params), (rows) => (transformRows ? transformRows(rows) : rows)))
      const connection: Connection = {
        execute,
        executeRaw: (sql, params) => guard(attempt(() => db.query(sql, [...params]))),
        executeValues: (sql, params) =>
          guard(
            Effect.map(
              attempt(() => db.query<ReadonlyArray<unknown>>(sql, [...params], { rowMode: "array" })),
              (result) => result.rows
            )
          ),
        // The simple protocol (`exec`) is the only way to send several statements at once; like
        // node-pg, a single statement yields its rows and several yield one array per statement.
        executeUnprepared: (sql, params, transformRows) =>
          params.length > 0
            ? execute(sql, params, transformRows)
            : guard(
              Effect.map(attempt(() => db.exec(sql)), (results) => {
                const rows = results.map((result) => (transformRows ? transformRows(result.rows) : result.rows))
                return rows.length === 1 ? rows[0] ?? [] : rows
              })
            ),
        // No cursors: the whole result is read under the permit, then emitted.
        executeStream: (sql, params, transformRows) =>
          Stream.fromIterableEffect(execute(sql, params, transformRows))
      }
      return connection
    }

    // Also what `sql.reserve` gives: it holds the session like a transaction does.
    const transactionConnection = makeConnection((effect) => effect)
    // `transactionAcquirer` runs inside `withTransaction`'s uninterruptible region: waiting for
    // the session is made interruptible again, so a queued fiber can still be cancelled.
    const transactionAcquirer = Effect.as(
      Effect.acquireRelease(Effect.interruptible(session.take(1)), () => session.release(1)),
      transactionConnection
    )

    const client = yield* SqlClient.make({
      acquirer: Effect.succeed(makeConnection(session.withPermits(1))),
      transactionAcquirer,
      compiler: PgClient.makeCompiler(config.transformQueryNames),
      spanAttributes: [
        ["db.system.name", "postgresql"],
        ["db.namespace", onDisk ? config.dataDir : "memory"]
      ],
      transformRows: config.transformResultNames
        ? Statement.defaultTransforms(config.transformResultNames).array
        : undefined
    })
    const dumpDataDir = session.withPermits(1)(attempt(() => db.dumpDataDir("none")))
    return Object.assign(client, { dumpDataDir })
  })

export const layer = (config: PgliteClientConfig): Layer.Layer<SqlClient.SqlClient, SqlError> =>
  Layer.scoped(SqlClient.SqlClient, make(config)).pipe(Layer.provide(Reactivity.layer))
