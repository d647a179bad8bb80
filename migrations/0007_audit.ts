import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The audit trail (src/repositories/AuditRepository.ts). Append-only by construction: a trigger
 * refuses every `UPDATE`, every `DELETE` and `TRUNCATE`, except a `DELETE` in a transaction that
 * has set `flowboard.audit_retention` (what the retention job does, and nothing else). Whoever can
 * drop the trigger can still change rows: that is what the hash chain is for (`flowboard audit verify`).
 * `seq` is given by the appender, under a lock, so it is the chain's order with no gaps.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE audit_events (
    seq bigint PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    occurred_at timestamptz NOT NULL,
    actor_user_id text,
    actor_key_id text,
    actor_address text,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text,
    outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    correlation_id text,
    details jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  )`
  yield* sql`CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at)`
  yield* sql`CREATE INDEX audit_events_action ON audit_events (action text_pattern_ops, seq)`
  yield* sql`CREATE INDEX audit_events_target ON audit_events (target_type, target_id, seq)`
  yield* sql`CREATE INDEX audit_events_actor_user ON audit_events (actor_user_id, seq) WHERE actor_user_id IS NOT NULL`
  yield* sql`CREATE INDEX audit_events_actor_key ON audit_events (actor_key_id, seq) WHERE actor_key_id IS NOT NULL`
  yield* sql`CREATE INDEX audit_events_actor_address ON audit_events (actor_address, seq) WHERE actor_address IS NOT NULL`
  yield* sql.unsafe(`CREATE FUNCTION flowboard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND current_setting('flowboard.audit_retention', true) = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
  $$`)
  yield* sql`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
             FOR EACH ROW EXECUTE FUNCTION flowboard_audit_append_only()`
  yield* sql`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
             FOR EACH STATEMENT EXECUTE FUNCTION flowboard_audit_append_only()`
})
