import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Background jobs, and the record of overdue reminders sent.
 *
 * Runners claim with `FOR UPDATE SKIP LOCKED` in (priority, run_at, id) order; `priority_rank`
 * is generated from `priority` so the due index serves that order directly. A running job holds
 * a lease (`locked_until`); once it lapses the job is claimable again (its worker died).
 * `UNIQUE (type, idempotency_key)` makes a second enqueue with the same key find the first job;
 * jobs without a key never conflict (NULLs are distinct).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE jobs (
      id uuid PRIMARY KEY,
      type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      priority text NOT NULL CHECK (priority IN ('high', 'default', 'low')),
      priority_rank smallint GENERATED ALWAYS AS (CASE priority WHEN 'high' THEN 0 WHEN 'default' THEN 1 ELSE 2 END) STORED,
      run_at timestamptz NOT NULL,
      attempts integer NOT NULL CHECK (attempts >= 0),
      max_attempts integer NOT NULL CHECK (max_attempts > 0),
      idempotency_key text,
      progress jsonb,
      result jsonb,
      error text,
      locked_by text,
      locked_until timestamptz,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      correlation_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      UNIQUE (type, idempotency_key)
    )`
  yield* sql`CREATE INDEX jobs_due ON jobs (priority_rank, run_at, id) WHERE status = 'queued'`
  yield* sql`CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'running'`
  yield* sql`CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL`
  // One row per (task, due date) reminded: a task whose due date moves is reminded again when
  // the new date passes, and never twice for the same date.
  yield* sql`
    CREATE TABLE task_reminders (
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      due_at timestamptz NOT NULL,
      notified_at timestamptz NOT NULL,
      PRIMARY KEY (task_id, due_at)
    )`
  yield* sql`CREATE INDEX tasks_due ON tasks (due_at) WHERE due_at IS NOT NULL`
  // Retention deletes published rows by age.
  yield* sql`CREATE INDEX outbox_retention ON outbox (published_at) WHERE published_at IS NOT NULL`
})
