import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, DateTime, Effect, Layer } from "effect"
import type { Actor } from "../../../src/domain/Actor.js"
import { User } from "../../../src/domain/Model.js"
import { type DatabaseStats, DatabaseStatsRepository } from "../../../src/repositories/DatabaseStatsRepository.js"
import { DatabaseInsightService, recommend, toReport } from "../../../src/services/DatabaseInsightService.js"
import { UserId } from "../../../src/domain/Ids.js"

const stats: DatabaseStats = {
  engine: "PostgreSQL 16.4",
  statements: {
    available: true,
    items: [
      { query: "SELECT * FROM tasks WHERE labels @> $1", calls: 40, totalMs: 12_000, meanMs: 300, rows: 400 },
      { query: "SELECT * FROM projects WHERE id = $1", calls: 900, totalMs: 90, meanMs: 0.1, rows: 900 }
    ]
  },
  tables: [
    { table: "public.tasks", seqScans: 5000, seqRowsRead: 50_000_000, indexScans: 200, liveRows: 10_000 },
    { table: "public.projects", seqScans: 150, seqRowsRead: 1_500, indexScans: 20_000, liveRows: 10 },
    { table: "public.comments", seqScans: 0, seqRowsRead: 0, indexScans: 0, liveRows: 0 }
  ],
  indexes: [
    { index: "tasks_labels", table: "public.tasks", scans: 0, sizeBytes: 8192, enforcesConstraint: false },
    { index: "users_email_key", table: "public.users", scans: 0, sizeBytes: 16384, enforcesConstraint: true }
  ]
}

const actor = (role: "admin" | "member", scopes: Actor["scopes"]): Actor => ({
  user: new User({ id: UserId.make("01900000-0000-7000-8000-000000000001"), email: "a@b.c", name: "A", role, createdAt: DateTime.unsafeMake(0) }),
  keyId: null,
  scopes
})

describe("DatabaseInsight", () => {
  it("recommends an index for a large table read by scans, dropping an unused non-constraint index, and reviewing slow statements", () => {
    const advice = recommend(stats, 200)
    expect(advice.map((r) => [r.kind, r.target])).toEqual([
      ["add-index", "public.tasks"],
      ["drop-index", "tasks_labels"],
      ["review-statement", "SELECT * FROM tasks WHERE labels @> $1"]
    ])
    expect(advice[0]!.reason).toContain("5000 sequential scans")
    expect(advice[0]!.reason).toContain("SELECT * FROM tasks WHERE labels @> $1")
  })

  it("reports tables with sequential scans, most rows read first, and says why statements are missing", () => {
    const report = toReport({ ...stats, statements: { available: false, reason: "not installed" } }, 200)
    expect(report.sequentialScans.map((t) => t.table)).toEqual(["public.tasks", "public.projects"])
    expect(report.statements).toMatchObject({ available: false, reason: "not installed", slowest: [] })
    expect(report.recommendations.map((r) => r.kind)).toEqual(["add-index", "drop-index"])
    expect(report.thresholds).toEqual({ seqScans: 100, largeTableRows: 1000, slowStatementMs: 200 })
  })

  it.effect("answers admins only", () =>
    Effect.gen(function* () {
      const insight = yield* DatabaseInsightService
      const report = yield* insight.report(actor("admin", ["admin"]))
      expect(report.engine).toBe("PostgreSQL 16.4")
      expect(report.thresholds.slowStatementMs).toBe(50)
      const refused = yield* Effect.flip(insight.report(actor("member", ["read", "write"])))
      expect(refused._tag).toBe("Forbidden")
      const adminWithoutScope = yield* Effect.flip(insight.report(actor("admin", ["read"])))
      expect(adminWithoutScope._tag).toBe("Forbidden")
    }).pipe(
      Effect.provide(
        DatabaseInsightService.Default.pipe(
          Layer.provide(Layer.succeed(DatabaseStatsRepository, { read: () => Effect.succeed(stats) })),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SLOW_QUERY_MS", "50"]]))))
        )
      )
    ))
})
