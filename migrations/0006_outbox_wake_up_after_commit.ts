import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Drops 0002's NOTIFY trigger. Postgres serialises the commits of every transaction that sends
 * a notification on one lock, held through the WAL flush, so a trigger on the outbox made every
 * write in the database commit one after another. Relays are woken after the commit instead,
 * coalesced, by the writing process (src/repositories/sql/OutboxWakeUp.ts).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP TRIGGER IF EXISTS outbox_notify ON outbox`
  yield* sql`DROP FUNCTION IF EXISTS flowboard_outbox_notify()`
})
