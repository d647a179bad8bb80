import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** `users` rows written and read with plain SQL: what the PGlite client suites store and look for. */
const createdAt = new Date("2024-05-01T10:00:00.123Z")
export const user = (email: string) => ({ id: crypto.randomUUID(), email, name: "Ada", role: "member", createdAt })

export const insertUser = (row: ReturnType<typeof user>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO users ${sql.insert(row)}`)

export const emails = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ readonly email: string }>`SELECT email FROM users ORDER BY email`
)
