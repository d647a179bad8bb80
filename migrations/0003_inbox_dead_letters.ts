import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Idempotent consumers: the inbox of handled events, and the dead letters handlers gave up on. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // The primary key is the idempotency check: a second insert of the pair does nothing.
  yield* sql`
    CREATE TABLE inbox (
      handler text NOT NULL,
      event_id uuid NOT NULL,
      handled_at timestamptz NOT NULL,
      PRIMARY KEY (handler, event_id)
    )`
  yield* sql`CREATE INDEX inbox_handled_at ON inbox (handled_at)`
  yield* sql`
    CREATE TABLE dead_letters (
      id uuid PRIMARY KEY,
      handler text NOT NULL,
      event_id uuid NOT NULL,
      event_type text NOT NULL,
      envelope jsonb NOT NULL,
      attempts integer NOT NULL CHECK (attempts > 0),
      first_failed_at timestamptz NOT NULL,
      last_failed_at timestamptz NOT NULL,
      error text NOT NULL,
      cause text NOT NULL,
      cause_chain jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'replayed')),
      replayed_at timestamptz,
      replayed_by uuid,
      created_at timestamptz NOT NULL,
      UNIQUE (handler, event_id)
    )`
  yield* sql`CREATE INDEX dead_letters_handler ON dead_letters (handler, id)`
})
