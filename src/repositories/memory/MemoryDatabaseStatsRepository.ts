import { Effect, Layer } from "effect"
import { DatabaseStatsRepository } from "../DatabaseStatsRepository.js"

/** The in-memory store keeps no statistics: nothing to report, and it says so. */
export const MemoryDatabaseStatsRepository = Layer.succeed(
  DatabaseStatsRepository,
  DatabaseStatsRepository.of({
    read: () =>
      Effect.succeed({
        engine: "in-memory",
        statements: { available: false, reason: "the in-memory store has no pg_stat_statements" },
        tables: [],
        indexes: []
      })
  })
)
