import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { RepositoryError } from "../../domain/Errors.js"
import { Readiness } from "../../observability/Readiness.js"
import { latestMigration } from "../../../migrations/index.js"
import { MigrationsTable } from "./Database.js"

/** The number of the newest migration this build ships (from the migrations list); readiness wants the database at it. */
export const LATEST_MIGRATION = latestMigration

export const SqlReadiness = (mode: string) =>
  Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const check = sql<{ readonly latest: number | null }>`SELECT max(migration_id) AS latest FROM ${sql(MigrationsTable)}`.pipe(
        Effect.mapError((cause) => new RepositoryError({ message: "database unreachable", transient: true, cause })),
        Effect.flatMap((rows) =>
          (rows[0]?.latest ?? 0) >= LATEST_MIGRATION
            ? Effect.void
            : Effect.fail(new RepositoryError({ message: "migrations pending", transient: true }))
        ),
        Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new RepositoryError({ message: "database timed out", transient: true }) })
      )
      return { mode, check }
    })
  )
