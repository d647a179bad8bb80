import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Read models kept by event handlers (the activity feed, project progress), and an index for
 * replaying one project's events from the outbox (the live stream's `Last-Event-ID`).
 *
 * No foreign keys to `projects`: handlers write after the change committed, possibly after the
 * project was deleted, and a violated key would only make them retry. They check that the
 * project exists and forget its rows on `project.deleted.v1` instead.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // `id` is the event's id: the primary key is what makes a second delivery a no-op.
  yield* sql`
    CREATE TABLE activity (
      id uuid PRIMARY KEY,
      project_id uuid NOT NULL,
      type text NOT NULL,
      aggregate_type text NOT NULL,
      aggregate_id text NOT NULL,
      actor text,
      occurred_at timestamptz NOT NULL,
      summary text NOT NULL,
      payload jsonb NOT NULL
    )`
  yield* sql`CREATE INDEX activity_project ON activity (project_id, id)`
  yield* sql`CREATE INDEX activity_project_type ON activity (project_id, type, id)`
  yield* sql`
    CREATE TABLE project_progress (
      project_id uuid PRIMARY KEY,
      columns jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      last_event_id uuid
    )`
  // Task events name their project in the payload only.
  yield* sql`CREATE INDEX outbox_task_project ON outbox ((payload ->> 'projectId'), id) WHERE aggregate_type = 'task'`
})
