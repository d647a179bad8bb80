import { Schema } from "effect"

/** What `GET /api/v1/admin/db` answers: the database's view of its own workload, and advice. */
export class StatementStat extends Schema.Class<StatementStat>("StatementStat")({
  query: Schema.String.annotations({ description: "Normalised text: parameters are placeholders, never values" }),
  calls: Schema.Number,
  totalMs: Schema.Number,
  meanMs: Schema.Number,
  rows: Schema.Number
}) {}

export class TableScanStat extends Schema.Class<TableScanStat>("TableScanStat")({
  table: Schema.String,
  seqScans: Schema.Number,
  seqRowsRead: Schema.Number,
  indexScans: Schema.Number,
  liveRows: Schema.Number
}) {}

export class UnusedIndex extends Schema.Class<UnusedIndex>("UnusedIndex")({
  index: Schema.String,
  table: Schema.String,
  sizeBytes: Schema.Number,
  enforcesConstraint: Schema.Boolean.annotations({ description: "Unique or primary key: keep it, the constraint needs it" })
}) {}

export class Recommendation extends Schema.Class<Recommendation>("Recommendation")({
  kind: Schema.Literal("add-index", "drop-index", "review-statement"),
  target: Schema.String,
  reason: Schema.String
}) {}

export class StatementsReport extends Schema.Class<StatementsReport>("StatementsReport")({
  available: Schema.Boolean,
  reason: Schema.NullOr(Schema.String).annotations({ description: "Why the statements are unavailable, when they are" }),
  slowest: Schema.Array(StatementStat)
}) {}

export class DatabaseReport extends Schema.Class<DatabaseReport>("DatabaseReport")({
  engine: Schema.String,
  statements: StatementsReport,
  sequentialScans: Schema.Array(TableScanStat),
  unusedIndexes: Schema.Array(UnusedIndex),
  recommendations: Schema.Array(Recommendation),
  thresholds: Schema.Struct({
    seqScans: Schema.Number,
    largeTableRows: Schema.Number,
    slowStatementMs: Schema.Number
  })
}) {}
