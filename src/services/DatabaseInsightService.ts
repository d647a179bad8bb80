import { Effect } from "effect"
import { type Actor, isAdmin } from "../domain/Actor.js"
import { DatabaseReport, Recommendation, StatementsReport, StatementStat, TableScanStat, UnusedIndex } from "../domain/DatabaseInsight.js"
import { Forbidden } from "../domain/Errors.js"
import { SlowQueryConfig } from "../observability/SqlObservability.js"
import { type DatabaseStats, DatabaseStatsRepository } from "../repositories/DatabaseStatsRepository.js"

/** Statements read from `pg_stat_statements`, and tables listed, at most. */
const SLOWEST = 20
const TABLES = 10

/**
 * The heuristics behind the recommendations. Simple on purpose: they point at where to look,
 * and the reason says which numbers triggered them.
 *
 * - add-index: a table of at least `largeTableRows` live rows read by at least `seqScans`
 *   sequential scans, more often than through an index. The slowest statements naming the
 *   table are quoted: their WHERE and ORDER BY columns are the candidates.
 * - drop-index: an index no scan has used since the statistics were reset, unless it backs a
 *   unique or primary-key constraint. Every write still maintains it. Only meaningful when the
 *   statistics cover a representative period (see `pg_stat_reset`).
 * - review-statement: a statement whose mean time is at least `slowStatementMs` (the slow-query
 *   threshold, SLOW_QUERY_MS): run it under `EXPLAIN (ANALYZE, BUFFERS)`.
 */
export const THRESHOLDS = { seqScans: 100, largeTableRows: 1000 } as const

const mentions = (query: string, table: string) => {
  const bare = table.includes(".") ? table.slice(table.indexOf(".") + 1) : table
  return new RegExp(`\\b${bare.replace(/[^A-Za-z0-9_]/g, "")}\\b`, "i").test(query)
}
const clip = (text: string, max = 160) => (text.length <= max ? text : `${text.slice(0, max)}…`)

export const recommend = (stats: DatabaseStats, slowStatementMs: number): ReadonlyArray<Recommendation> => {
  const statements = stats.statements.available ? stats.statements.items : []
  const addIndex = stats.tables
    .filter((t) => t.liveRows >= THRESHOLDS.largeTableRows && t.seqScans >= THRESHOLDS.seqScans && t.seqScans > t.indexScans)
    .map((t) => {
      const quoted = statements.filter((s) => mentions(s.query, t.table)).slice(0, 3).map((s) => `"${clip(s.query)}"`)
      return new Recommendation({
        kind: "add-index",
        target: t.table,
        reason:
          `${t.seqScans} sequential scans (${t.indexScans} index scans) over ${t.liveRows} rows, ${t.seqRowsRead} rows read: ` +
          `index the columns its frequent filters use${quoted.length > 0 ? `, see ${quoted.join("; ")}` : ""}`
      })
    })
  const dropIndex = stats.indexes
    .filter((i) => i.scans === 0 && !i.enforcesConstraint)
    .map((i) => new Recommendation({
      kind: "drop-index",
      target: i.index,
      reason: `never scanned since the statistics were reset, on ${i.table} (${i.sizeBytes} bytes): every write still maintains it; drop it if the period is representative`
    }))
  const review = statements
    .filter((s) => s.meanMs >= slowStatementMs)
    .map((s) => new Recommendation({
      kind: "review-statement",
      target: clip(s.query),
      reason: `mean ${s.meanMs.toFixed(1)} ms over ${s.calls} calls: run it under EXPLAIN (ANALYZE, BUFFERS)`
    }))
  return [...addIndex, ...dropIndex, ...review]
}

export const toReport = (stats: DatabaseStats, slowStatementMs: number): DatabaseReport =>
  new DatabaseReport({
    engine: stats.engine,
    statements: new StatementsReport(
      stats.statements.available
        ? { available: true, reason: null, slowest: stats.statements.items.map((s) => new StatementStat(s)) }
        : { available: false, reason: stats.statements.reason, slowest: [] }
    ),
    sequentialScans: [...stats.tables]
      .filter((t) => t.seqScans > 0)
      .sort((a, b) => b.seqRowsRead - a.seqRowsRead)
      .slice(0, TABLES)
      .map((t) => new TableScanStat(t)),
    unusedIndexes: stats.indexes.map((i) => new UnusedIndex({ index: i.index, table: i.table, sizeBytes: i.sizeBytes, enforcesConstraint: i.enforcesConstraint })),
    recommendations: recommend(stats, slowStatementMs),
    thresholds: { ...THRESHOLDS, slowStatementMs }
  })

/** `GET /api/v1/admin/db`: for admins only (an admin user with a key holding the admin scope). */
export class DatabaseInsightService extends Effect.Service<DatabaseInsightService>()("flowboard/DatabaseInsightService", {
  effect: Effect.gen(function* () {
    const repository = yield* DatabaseStatsRepository
    const slowStatementMs = yield* SlowQueryConfig
    return {
      report: Effect.fn("DatabaseInsightService.report")(function* (actor: Actor) {
        if (!isAdmin(actor)) return yield* new Forbidden({ message: "database insight needs an admin user and a key with the admin scope" })
        return toReport(yield* repository.read(SLOWEST), slowStatementMs)
      })
    }
  })
}) {}
