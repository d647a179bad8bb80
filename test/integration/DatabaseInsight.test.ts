import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DatabaseStatsRepository } from "../../src/repositories/DatabaseStatsRepository.js"
import { SqlDatabaseStatsRepositoryLive } from "../../src/repositories/sql/SqlDatabaseStatsRepository.js"
import { PgliteTest } from "../support/Database.js"

layer(SqlDatabaseStatsRepositoryLive.pipe(Layer.provideMerge(PgliteTest)))("SqlDatabaseStatsRepository on PGlite", (it) => {
  it.effect("reads the statistics views, and reports pg_stat_statements unavailable with the reason", () =>
    Effect.gen(function* () {
      const stats = yield* (yield* DatabaseStatsRepository).read(20)
      expect(stats.engine).toMatch(/^PostgreSQL \d+/)
      expect(stats.statements).toEqual({ available: false, reason: "the pg_stat_statements extension is not installed in this database" })
      expect(stats.tables.map((t) => t.table)).toContain("public.tasks")
      for (const table of stats.tables) expect(table.seqScans).toBeGreaterThanOrEqual(0)
      for (const index of stats.indexes) expect(index.scans).toBe(0)
      expect(stats.indexes.some((i) => i.enforcesConstraint)).toBe(true)
    }))
})
