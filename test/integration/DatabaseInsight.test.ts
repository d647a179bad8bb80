import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DatabaseStatsRepository } from "../../src/repositories/DatabaseStatsRepository.js"
import { SqlDatabaseStatsRepositoryLive } from "../../src/repositories/sql/SqlDatabaseStatsRepository.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../support/Database.js"

const read = Effect.flatMap(DatabaseStatsRepository, (repository) => repository.read(20))

layer(SqlDatabaseStatsRepositoryLive.pipe(Layer.provideMerge(PgliteTest)))("SqlDatabaseStatsRepository on PGlite", (it) => {
  it.effect("reads the statistics views, and reports pg_stat_statements unavailable with the reason", () =>
    Effect.gen(function* () {
      const stats = yield* read
      expect(stats.engine).toMatch(/^PostgreSQL \d+/)
      expect(stats.statements).toEqual({ available: false, reason: "the pg_stat_statements extension is not installed in this database" })
      expect(stats.tables.map((t) => t.table)).toContain("public.tasks")
      for (const table of stats.tables) expect(table.seqScans).toBeGreaterThanOrEqual(0)
      for (const index of stats.indexes) expect(index.scans).toBe(0)
      expect(stats.indexes.some((i) => i.enforcesConstraint)).toBe(true)
    }))
})

describe.skipIf(skipPostgres)("SqlDatabaseStatsRepository on Postgres", () => {
  layer(SqlDatabaseStatsRepositoryLive.pipe(Layer.provideMerge(PostgresTest)))((it) => {
    it.effect("reads pg_stat_statements when loaded, and otherwise says it is installed but not loaded", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`
        yield* sql`SELECT count(*) FROM tasks WHERE title = ${"a"}`
        const stats = yield* read
        if (stats.statements.available) {
          for (const s of stats.statements.items) expect(s.calls).toBeGreaterThan(0)
        } else {
          expect(stats.statements.reason).toContain("shared_preload_libraries")
        }
        // Counters are flushed by each backend about once a second: their values are not asserted.
        expect(stats.tables.map((t) => t.table)).toContain("public.tasks")
        expect(stats.engine).toMatch(/^PostgreSQL \d+/)
      }))
  })
})
