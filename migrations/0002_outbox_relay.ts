import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** What the outbox relay needs: a wake-up on insert, and a fast per-aggregate order check. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // The relay skips a row while an earlier unpublished row of its aggregate is held by another
  // relay; this partial index answers that check from unpublished rows only.
  yield* sql`
    CREATE INDEX outbox_unpublished_aggregate ON outbox (aggregate_type, aggregate_id, id)
    WHERE published_at IS NULL`
  // Wakes relays listening on `flowboard_outbox` as soon as an insert commits (NOTIFY is
  // delivered at commit, never for a rolled-back insert). Once per statement, not per row: a
  // batch of events is one wake-up. The payload is not empty because PgClient.listen drops
  // empty payloads. Harmless where nobody listens (PGlite, which then relies on polling).
  yield* sql`
    CREATE FUNCTION flowboard_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('flowboard_outbox', 'insert');
      RETURN NULL;
    END
    $$`
  yield* sql`
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION flowboard_outbox_notify()`
})
