import { SqlClient } from "@effect/sql"
import { expect } from "@effect/vitest"
import { Effect } from "effect"

/**
 * The row shapes both SQL clients must agree on, asserted the same way on PGlite and Postgres:
 * camelCase rows, timestamptz as Date, text[] with awkward elements, jsonb (whose keys the
 * result-name transform also reaches), and int8 as a string like node-pg.
 */
export const expectRowsRoundTrip = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const createdAt = new Date("2024-05-01T10:00:00.123Z")
  const owner = { id: crypto.randomUUID(), email: `owner-${crypto.randomUUID()}@example.com`, name: "Ada", role: "admin", createdAt }
  yield* sql`INSERT INTO users ${sql.insert(owner)}`
  const scopes = ["projects:read", "a,b", "quo\"te", "NULL", ""]
  const key = { id: crypto.randomUUID(), userId: owner.id, name: "ci", prefix: `fb_${crypto.randomUUID().slice(0, 8)}`, secretHash: "hash", scopes, expiresAt: null, createdAt }
  yield* sql`INSERT INTO api_keys ${sql.insert(key)}`

  expect(yield* sql`SELECT * FROM users WHERE id = ${owner.id}`).toEqual([owner])
  const [stored] = yield* sql`SELECT scopes, expires_at, created_at FROM api_keys WHERE id = ${key.id}`
  expect(stored).toEqual({ scopes, expiresAt: null, createdAt })
  const payload = { taskId: "t1", labels: ["x"], nested: { dueAt: null, n: 1.5 } }
  const [json] = yield* sql`SELECT ${JSON.stringify(payload)}::jsonb AS payload, count(*) AS n
    FROM users WHERE id = ${owner.id}`
  expect(json).toEqual({ payload, n: "1" })
  const [snake] = yield* sql`SELECT '{"old_value": 1}'::jsonb AS change`
  expect(snake).toEqual({ change: { oldValue: 1 } })
})
