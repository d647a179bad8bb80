import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { DatabaseStatsRepository, type StatementsSource } from "../DatabaseStatsRepository.js"
import { traced } from "./SqlSupport.js"

// Counters are bigint in the catalog; cast to float8 in SQL so both drivers hand back numbers.
const StatementRow = Schema.Struct({ query: Schema.String, calls: Schema.Number, totalMs: Schema.Number, meanMs: Schema.Number, rows: Schema.Number })
const TableRow = Schema.Struct({
  tableName: Schema.String,
  seqScans: Schema.Number,
  seqRowsRead: Schema.Number,
  indexScans: Schema.Number,
  liveRows: Schema.Number
})
const IndexRow = Schema.Struct({
  indexName: Schema.String,
  tableName: Schema.String,
  scans: Schema.Number,
  sizeBytes: Schema.Number,
  enforcesConstraint: Schema.Boolean
})
const Installed = Schema.Tuple(Schema.Struct({ installed: Schema.Boolean, engine: Schema.String }))

/**
 * Reads Postgres's statistics views. `pg_stat_statements` is optional: absent (PGlite, or a
 * server without the extension) or not loaded (`shared_preload_libraries`), the statements
 * are reported unavailable with the reason, and the rest still answers.
 */
export const SqlDatabaseStatsRepositoryLive = Layer.effect(
  DatabaseStatsRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const statements = (limit: number) =>
      sql`SELECT query, calls::float8 AS calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows::float8 AS rows
          FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY total_exec_time DESC LIMIT ${limit}`.pipe(
        Effect.flatMap(Schema.decodeUnknown(Schema.Array(StatementRow))),
        Effect.map((items): StatementsSource => ({ available: true, items })),
        Effect.catchTag("SqlError", () =>
          Effect.succeed<StatementsSource>({ available: false, reason: "pg_stat_statements is installed but not loaded (add it to shared_preload_libraries)" })
        )
      )

    const read = (limit: number) =>
      Effect.gen(function* () {
        const [probe] = yield* Effect.flatMap(
          sql`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed, version() AS engine`,
          Schema.decodeUnknown(Installed)
        )
        const source: StatementsSource = probe.installed
          ? yield* statements(limit)
          : { available: false, reason: "the pg_stat_statements extension is not installed in this database" }
        const tables = yield* Effect.flatMap(
          sql`SELECT schemaname || '.' || relname AS table_name, seq_scan::float8 AS seq_scans, seq_tup_read::float8 AS seq_rows_read,
                     COALESCE(idx_scan, 0)::float8 AS index_scans, n_live_tup::float8 AS live_rows
              FROM pg_stat_user_tables ORDER BY seq_scan DESC, relname`,
          Schema.decodeUnknown(Schema.Array(TableRow))
        )
        const indexes = yield* Effect.flatMap(
          sql`SELECT s.indexrelname AS index_name, s.schemaname || '.' || s.relname AS table_name, s.idx_scan::float8 AS scans,
                     pg_relation_size(s.indexrelid)::float8 AS size_bytes, (i.indisunique OR i.indisprimary) AS enforces_constraint
              FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
              WHERE s.idx_scan = 0 ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname`,
          Schema.decodeUnknown(Schema.Array(IndexRow))
        )
        return {
          engine: probe.engine.split(" on ")[0] ?? probe.engine,
          statements: source,
          tables: tables.map((t) => ({ table: t.tableName, seqScans: t.seqScans, seqRowsRead: t.seqRowsRead, indexScans: t.indexScans, liveRows: t.liveRows })),
          indexes: indexes.map((i) => ({ index: i.indexName, table: i.tableName, scans: i.scans, sizeBytes: i.sizeBytes, enforcesConstraint: i.enforcesConstraint }))
        }
      }).pipe(traced("SqlDatabaseStatsRepository.read"))

    return DatabaseStatsRepository.of({ read })
  })
)
