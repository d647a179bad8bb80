import { SqlClient } from "@effect/sql"
import { DateTime, Effect, Layer, Schema } from "effect"
import { ProjectId, TaskId, UserId } from "../../domain/Ids.js"
import { MaintenanceRepository } from "../MaintenanceRepository.js"
import { decodeCount, Timestamp, traced } from "./SqlSupport.js"

const OverdueRow = Schema.Struct({
  taskId: TaskId,
  projectId: ProjectId,
  number: Schema.Int,
  title: Schema.String,
  dueAt: Timestamp,
  assigneeId: Schema.NullOr(UserId),
  version: Schema.Int
})
const decodeOverdue = Schema.decodeUnknown(Schema.Array(OverdueRow))

const CountsRow = Schema.Struct({ outboxBacklog: Schema.Int, deadLetters: Schema.Int, overdueTasks: Schema.Int })
const decodeCounts = (rows: ReadonlyArray<unknown>) => Effect.map(Schema.decodeUnknown(Schema.Tuple(CountsRow))(rows), ([row]) => row)

export const SqlMaintenanceRepositoryLive = Layer.effect(
  MaintenanceRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const at = DateTime.toDateUtc

    return MaintenanceRepository.of({
      markOverdue: (now, limit) =>
        Effect.flatMap(
          sql`WITH due AS (
                SELECT t.id, t.due_at FROM tasks t JOIN board_columns c ON c.id = t.column_id
                WHERE t.due_at < ${at(now)} AND NOT c.is_done
                  AND NOT EXISTS (SELECT 1 FROM task_reminders r WHERE r.task_id = t.id AND r.due_at = t.due_at)
                ORDER BY t.due_at, t.id
                LIMIT ${limit}
                FOR UPDATE OF t SKIP LOCKED
              ), marked AS (
                INSERT INTO task_reminders (task_id, due_at, notified_at)
                SELECT id, due_at, ${at(now)} FROM due
                ON CONFLICT DO NOTHING
                RETURNING task_id
              )
              SELECT t.id AS task_id, t.project_id, t.number, t.title, t.due_at, t.assignee_id, t.version
              FROM tasks t JOIN marked m ON m.task_id = t.id
              ORDER BY t.due_at, t.id`,
          decodeOverdue
        ).pipe(traced("SqlMaintenanceRepository.markOverdue")),
      pruneOutbox: (before, limit) =>
        Effect.flatMap(
          sql`WITH gone AS (
                DELETE FROM outbox WHERE id IN (
                  SELECT id FROM outbox WHERE published_at < ${at(before)} ORDER BY published_at LIMIT ${limit})
                RETURNING 1)
              SELECT count(*)::int AS count FROM gone`,
          decodeCount
        ).pipe(traced("SqlMaintenanceRepository.pruneOutbox")),
      // The dead-letter store belongs to the consumer runtime; a database without it has nothing to prune.
      pruneDeadLetters: (before, limit) =>
        Effect.gen(function* () {
          const [table] = yield* sql<{ readonly present: boolean }>`SELECT to_regclass('dead_letters') IS NOT NULL AS present`
          if (table?.present !== true) return 0
          return yield* Effect.flatMap(
            sql`WITH gone AS (
                  DELETE FROM dead_letters WHERE id IN (
                    SELECT id FROM dead_letters WHERE last_failed_at < ${at(before)} ORDER BY last_failed_at LIMIT ${limit})
                  RETURNING 1)
                SELECT count(*)::int AS count FROM gone`,
            decodeCount
          )
        }).pipe(traced("SqlMaintenanceRepository.pruneDeadLetters")),
      // One statement, one snapshot. The outbox count uses the partial index on unpublished rows.
      counts: (now) =>
        Effect.flatMap(
          sql`SELECT
                (SELECT count(*) FROM outbox WHERE published_at IS NULL)::int AS outbox_backlog,
                (SELECT count(*) FROM dead_letters WHERE status = 'pending')::int AS dead_letters,
                (SELECT count(*) FROM tasks t JOIN board_columns c ON c.id = t.column_id
                  WHERE t.due_at < ${at(now)} AND NOT c.is_done)::int AS overdue_tasks`,
          decodeCounts
        ).pipe(traced("SqlMaintenanceRepository.counts"))
    })
  })
)
