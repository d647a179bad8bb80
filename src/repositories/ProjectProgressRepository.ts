import { Context, type DateTime, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ProjectId } from "../domain/Ids.js"
import type { ColumnProgress, ProgressCounts } from "../domain/Progress.js"

/**
 * The project progress read model, and the counts it is recomputed from. The handler locks a
 * project's row before counting, so concurrent recounts of one project commit in the order
 * they counted and the newest count is the one that stays.
 */
export class ProjectProgressRepository extends Context.Tag("flowboard/ProjectProgressRepository")<
  ProjectProgressRepository,
  {
    /** Takes a row lock on the project's progress until the unit of work ends, creating the row if needed. */
    readonly lock: (projectId: ProjectId) => Effect.Effect<void, RepositoryError>
    /** The project's columns in board order (rank, id), each with its number of tasks, counted now. */
    readonly countByColumn: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<ColumnProgress>, RepositoryError>
    readonly save: (counts: ProgressCounts) => Effect.Effect<void, RepositoryError>
    /** The stored counts; `None` until the handler has counted the project once. */
    readonly find: (projectId: ProjectId) => Effect.Effect<Option.Option<ProgressCounts>, RepositoryError>
    readonly delete: (projectId: ProjectId) => Effect.Effect<void, RepositoryError>
    /** Tasks of the project due strictly before `now` that are not in a done column. */
    readonly countOverdue: (projectId: ProjectId, now: DateTime.Utc) => Effect.Effect<number, RepositoryError>
  }
>() {}
