import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Webhook subscriptions, their deliveries and every attempt at one (the delivery log).
 *
 * A delivery is a subscription's copy of an event, recorded by the `webhooks` event handler in
 * the unit of work of its inbox row: at most one per (subscription, event) however often the
 * event is handled. `seq` is the subscription's queue order; the worker leases the oldest
 * pending delivery of each active subscription (`lease_until`), so one subscription's
 * deliveries go out one at a time, in order, and a dead worker's lease simply runs out.
 * The secrets are needed in clear to sign; they are never shown again after creation or rotation.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE webhooks (
      id uuid PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      url text NOT NULL,
      description text NOT NULL,
      event_types jsonb,
      active boolean NOT NULL,
      disabled_reason text,
      disabled_at timestamptz,
      failing_since timestamptz,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      created_by uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      version integer NOT NULL
    )`
  yield* sql`CREATE INDEX webhooks_project ON webhooks (project_id, id)`
  yield* sql`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event_id uuid NOT NULL,
      event_type text NOT NULL,
      body text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
      next_attempt_at timestamptz NOT NULL,
      lease_until timestamptz,
      created_at timestamptz NOT NULL,
      finished_at timestamptz,
      UNIQUE (webhook_id, event_id)
    )`
  // The head of each subscription's queue, found by an index probe per subscription.
  yield* sql`CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, seq) WHERE status = 'pending'`
  yield* sql`CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id)`
  yield* sql`CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending'`
  yield* sql`
    CREATE TABLE webhook_attempts (
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt integer NOT NULL,
      started_at timestamptz NOT NULL,
      duration_ms integer NOT NULL,
      status_code integer,
      response_body text,
      error text,
      success boolean NOT NULL,
      PRIMARY KEY (delivery_id, attempt)
    )`
})
