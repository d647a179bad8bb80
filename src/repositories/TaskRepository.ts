import { Context, type DateTime, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ColumnId, ProjectId, TaskId, UserId } from "../domain/Ids.js"
import type { Member, Priority, Project, Task } from "../domain/Model.js"
import type { PageRequest } from "../domain/Page.js"
import type { Ranked } from "../domain/Rank.js"

export interface TaskFilter {
  readonly projectId: ProjectId
  readonly columnId: ColumnId | null
  readonly assigneeId: UserId | null
  readonly label: string | null
  readonly priority: Priority | null
  readonly dueBefore: DateTime.Utc | null
  readonly dueAfter: DateTime.Utc | null
  /** Case-insensitive substring of title or description. */
  readonly search: string | null
}

export class TaskRepository extends Context.Tag("flowboard/TaskRepository")<
  TaskRepository,
  {
    readonly insert: (task: Task) => Effect.Effect<void, RepositoryError>
    readonly findById: (id: TaskId) => Effect.Effect<Option.Option<Task>, RepositoryError>
    /**
     * The task with its project and `userId`'s membership of that project, in one read: a task
     * read and its access check together. `None` when there is no such task or the user is not a
     * member of its project.
     */
    readonly findAccess: (
      id: TaskId,
      userId: UserId
    ) => Effect.Effect<Option.Option<{ readonly task: Task; readonly project: Project; readonly member: Member }>, RepositoryError>
    /** As `ProjectRepository.update`: compare-and-set on `version`; `false` on mismatch. */
    readonly update: (task: Task, expectedVersion: number) => Effect.Effect<boolean, RepositoryError>
    /**
     * The task, holding a `FOR KEY SHARE` lock on its row until the transaction ends: it cannot
     * be deleted meanwhile (a delete waits), while updates and moves of it still go ahead.
     */
    readonly lockShared: (id: TaskId) => Effect.Effect<Option.Option<Task>, RepositoryError>
    /**
     * The task as it was when deleted (a concurrent update that committed first included); `None`
     * when there was no such task (another transaction deleted it first).
     */
    readonly delete: (id: TaskId) => Effect.Effect<Option.Option<Task>, RepositoryError>
    /** Matching tasks in id order, `limit + 1` rows after the cursor id. */
    readonly list: (filter: TaskFilter, page: PageRequest) => Effect.Effect<ReadonlyArray<Task>, RepositoryError>
    /** Every task of a project in (rank, id) order, for the board view. */
    readonly listByProject: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<Task>, RepositoryError>
    readonly countInColumn: (columnId: ColumnId) => Effect.Effect<number, RepositoryError>
    /** As `ProjectRepository.neighbourRank`, within a column. */
    readonly neighbourRank: (
      columnId: ColumnId,
      anchor: { readonly rank: string; readonly id: TaskId } | null,
      direction: "after" | "before",
      exclude: TaskId | null
    ) => Effect.Effect<Option.Option<string>, RepositoryError>
    /** Every task of a column as its id and rank, in (rank, id) order: what a rebalance re-spreads. */
    readonly listRanks: (columnId: ColumnId) => Effect.Effect<ReadonlyArray<Ranked<TaskId>>, RepositoryError>
    /**
     * A rebalance: gives each listed task its new rank in one statement, bumping its `version`
     * (its row changed: a write based on the old row must fail its compare-and-set) but not
     * `updatedAt` (nobody edited it). A listed task that is no longer in `columnId` is left
     * alone. Returns how many tasks were rewritten.
     */
    readonly rewriteRanks: (columnId: ColumnId, ranks: ReadonlyArray<Ranked<TaskId>>) => Effect.Effect<number, RepositoryError>
    /**
     * Clears the assignee of every task in the project assigned to `userId` (member removed),
     * bumping each one's `version` and setting `updatedAt` to `at` like any other change, so a
     * client holding the old version cannot write the removed member back. Returns the tasks
     * as they now are.
     */
    readonly unassignAll: (projectId: ProjectId, userId: UserId, at: DateTime.Utc) => Effect.Effect<ReadonlyArray<Task>, RepositoryError>
  }
>() {}
