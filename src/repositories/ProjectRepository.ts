import { Context, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ProjectId, UserId } from "../domain/Ids.js"
import type { Member, Project, ProjectStatus } from "../domain/Model.js"
import type { PageRequest } from "../domain/Page.js"
import type { Ranked } from "../domain/Rank.js"

export type ProjectLock = "keyShare" | "noKeyUpdate" | "update"

export interface ProjectFilter {
  /** Only projects this user is a member of. */
  readonly memberId: UserId
  readonly status: ProjectStatus | null
  readonly search: string | null
}

export class ProjectRepository extends Context.Tag("flowboard/ProjectRepository")<
  ProjectRepository,
  {
    /** `false` when the key is already taken. */
    readonly insert: (project: Project) => Effect.Effect<boolean, RepositoryError>
    readonly findById: (id: ProjectId) => Effect.Effect<Option.Option<Project>, RepositoryError>
    /**
     * Writes every field of `project` if the stored version is `expectedVersion`; the new row
     * must carry `expectedVersion + 1`. Returns `false` on a version mismatch.
     */
    readonly update: (project: Project, expectedVersion: number) => Effect.Effect<boolean, RepositoryError>
    /**
     * The project, holding a lock on its row until the transaction ends (Postgres row-lock modes):
     * - `keyShare`: it cannot be deleted meanwhile; anything else goes ahead. For writes inside it.
     * - `noKeyUpdate`: also serialises with every other `noKeyUpdate` and with task creation
     *   (which bumps its task counter). For changes to its board or its membership, whose rules
     *   (at most 50 columns, at least one owner) read several rows before writing.
     * - `update`: excludes everything above. For deleting it.
     * `None` when it does not exist (any more: a lock waited for a delete that committed).
     */
    readonly lock: (id: ProjectId, mode: ProjectLock) => Effect.Effect<Option.Option<Project>, RepositoryError>
    /** Deletes the project and everything in it; `false` when there was no such project. */
    readonly delete: (id: ProjectId) => Effect.Effect<boolean, RepositoryError>
    /** Projects matching the filter in id order, `limit + 1` rows after the cursor id. */
    readonly list: (filter: ProjectFilter, page: PageRequest) => Effect.Effect<ReadonlyArray<Project>, RepositoryError>
    /**
     * The rank of the neighbouring project within `status`, in (rank, id) order, skipping
     * `exclude`: the next one after `anchor` ("after") or the previous one ("before"); with no
     * anchor, the first ("after") or last ("before") of the status.
     */
    readonly neighbourRank: (
      status: ProjectStatus,
      anchor: { readonly rank: string; readonly id: ProjectId } | null,
      direction: "after" | "before",
      exclude: ProjectId | null
    ) => Effect.Effect<Option.Option<string>, RepositoryError>
    /** Every project of a status as its id and rank, in (rank, id) order: what a rebalance re-spreads. */
    readonly listRanks: (status: ProjectStatus) => Effect.Effect<ReadonlyArray<Ranked<ProjectId>>, RepositoryError>
    /**
     * As `TaskRepository.rewriteRanks`, within a status: one statement, `version` bumped,
     * `updatedAt` kept, projects no longer in `status` left alone; answers how many were rewritten.
     */
    readonly rewriteRanks: (status: ProjectStatus, ranks: ReadonlyArray<Ranked<ProjectId>>) => Effect.Effect<number, RepositoryError>
    /** Atomically increments and returns the project's task counter (1, 2, ...). */
    /** Up to `limit` existing projects with the most recent events, newest first (the read cache warms their boards). */
    readonly recentlyActive: (limit: number) => Effect.Effect<ReadonlyArray<ProjectId>, RepositoryError>
    readonly nextTaskNumber: (id: ProjectId) => Effect.Effect<number, RepositoryError>

    readonly addMember: (member: Member) => Effect.Effect<boolean, RepositoryError>
    readonly updateMember: (member: Member) => Effect.Effect<void, RepositoryError>
    /** `false` when there was no such member. */
    readonly removeMember: (projectId: ProjectId, userId: UserId) => Effect.Effect<boolean, RepositoryError>
    readonly findMember: (projectId: ProjectId, userId: UserId) => Effect.Effect<Option.Option<Member>, RepositoryError>
    /**
     * The project together with `userId`'s membership of it, in one read: what every access
     * check needs. `None` when there is no such project or the user is not a member of it.
     */
    readonly findAccess: (
      projectId: ProjectId,
      userId: UserId,
      /** Holds `FOR KEY SHARE` on the project row (see `lock`) from this read on. */
      lock?: "keyShare"
    ) => Effect.Effect<Option.Option<{ readonly project: Project; readonly member: Member }>, RepositoryError>
    /** The member, holding `FOR KEY SHARE` on the row: their removal waits until this transaction ends. */
    readonly lockMember: (projectId: ProjectId, userId: UserId) => Effect.Effect<Option.Option<Member>, RepositoryError>
    /** Members in the order they were added. */
    readonly listMembers: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<Member>, RepositoryError>
  }
>() {}
