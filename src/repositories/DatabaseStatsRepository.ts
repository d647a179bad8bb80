import { Context, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"

/** One normalised statement from `pg_stat_statements` (placeholders, never values). */
export interface StatementStats {
  readonly query: string
  readonly calls: number
  readonly totalMs: number
  readonly meanMs: number
  readonly rows: number
}

/** How a table has been read since the statistics were last reset (`pg_stat_user_tables`). */
export interface TableScanStats {
  readonly table: string
  readonly seqScans: number
  readonly seqRowsRead: number
  readonly indexScans: number
  readonly liveRows: number
}

/** An index no scan has used since the statistics were last reset (`pg_stat_user_indexes`). */
export interface IndexUsage {
  readonly index: string
  readonly table: string
  readonly scans: number
  readonly sizeBytes: number
  /** Unique and primary-key indexes enforce constraints: unused for reads, still needed. */
  readonly enforcesConstraint: boolean
}

export type StatementsSource =
  | { readonly available: true; readonly items: ReadonlyArray<StatementStats> }
  | { readonly available: false; readonly reason: string }

/** What the database says about its own workload. */
export interface DatabaseStats {
  readonly engine: string
  readonly statements: StatementsSource
  readonly tables: ReadonlyArray<TableScanStats>
  readonly indexes: ReadonlyArray<IndexUsage>
}

/** The database's statistics views, read for `GET /api/v1/admin/db`. */
export class DatabaseStatsRepository extends Context.Tag("flowboard/DatabaseStatsRepository")<
  DatabaseStatsRepository,
  {
    /** The `limit` slowest statements by total time, every user table, every user index. */
    readonly read: (limit: number) => Effect.Effect<DatabaseStats, RepositoryError>
  }
>() {}
