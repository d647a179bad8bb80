import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Attachments of tasks: their metadata, and their bytes for the database storage (the default,
 * `ATTACHMENT_STORAGE=database`; the directory storage leaves `attachment_chunks` empty).
 *
 * Bytes are kept in chunks of at most 256 KiB, one row each, written one statement at a time
 * as the upload streams in and read back the same way: neither side ever holds a whole file,
 * and no transaction stays open while a client sends. Chunks are stored out of line without
 * compression (`STORAGE EXTERNAL`): images, PDFs and archives are compressed already.
 *
 * Both tables reference their task with `ON DELETE CASCADE`: deleting a task, or its project
 * (which deletes its tasks), deletes its attachments' rows and bytes in the same transaction.
 * Chunks are written before their metadata row exists (the row is inserted with the upload's
 * event once the bytes are in and accepted), so they cannot reference `attachments`.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE attachments (
      id uuid PRIMARY KEY,
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      filename text NOT NULL,
      content_type text NOT NULL,
      size integer NOT NULL CHECK (size > 0),
      sha256 text NOT NULL,
      uploaded_by uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL
    )`
  yield* sql`CREATE INDEX attachments_task ON attachments (task_id, id)`
  yield* sql`CREATE INDEX attachments_project ON attachments (project_id)`
  yield* sql`
    CREATE TABLE attachment_chunks (
      attachment_id uuid NOT NULL,
      seq integer NOT NULL CHECK (seq >= 0),
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (attachment_id, seq)
    )`
  yield* sql`ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL`
  yield* sql`CREATE INDEX attachment_chunks_task ON attachment_chunks (task_id)`
  yield* sql`CREATE INDEX attachment_chunks_project ON attachment_chunks (project_id)`
})
