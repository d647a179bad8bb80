import { Context, type DateTime, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ProjectId, TaskId, UserId } from "../domain/Ids.js"

/** A task that has just become overdue, as its reminder event describes it. */
export interface OverdueTask {
  readonly taskId: TaskId
  readonly projectId: ProjectId
  readonly number: number
  readonly title: string
  readonly dueAt: DateTime.Utc
  readonly assigneeId: UserId | null
  readonly version: number
}

/** Sizes an operator watches (gauges at `/metrics`, `/health`, the dashboard). */
export interface OperationalCounts {
  /** Outbox rows not yet published to the transport. */
  readonly outboxBacklog: number
  /** Dead letters waiting for an operator (status `pending`). */
  readonly deadLetters: number
  /** Tasks due before now and not in a done column, reminded or not. */
  readonly overdueTasks: number
}

/** What the scheduled jobs do to the database: overdue reminders and retention; and the counts operators watch. */
export class MaintenanceRepository extends Context.Tag("flowboard/MaintenanceRepository")<
  MaintenanceRepository,
  {
    /**
     * Records a reminder for up to `limit` tasks overdue at `now` — due before it, not in a done
     * column, not yet reminded for this due date — and returns them. A task whose due date
     * moves is reminded again when the new date passes. Call it in the unit of work that
     * records the reminder events: the mark and the events commit together. Tasks another unit
     * holds are skipped, and the mark is unique per (task, due date), so concurrent runs never
     * remind twice.
     */
    readonly markOverdue: (now: DateTime.Utc, limit: number) => Effect.Effect<ReadonlyArray<OverdueTask>, RepositoryError>
    /** Deletes up to `limit` outbox rows published before `before`; returns how many. */
    readonly pruneOutbox: (before: DateTime.Utc, limit: number) => Effect.Effect<number, RepositoryError>
    /** Deletes up to `limit` dead letters whose last failure is before `before` (none when the table does not exist). */
    readonly pruneDeadLetters: (before: DateTime.Utc, limit: number) => Effect.Effect<number, RepositoryError>
    /** One consistent read of the operational counts, as of `now`. */
    readonly counts: (now: DateTime.Utc) => Effect.Effect<OperationalCounts, RepositoryError>
  }
>() {}
