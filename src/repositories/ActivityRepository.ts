import { Context, type Effect } from "effect"
import type { ActivityEntry } from "../domain/Activity.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { EventType } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"

export interface ActivityQuery {
  readonly projectId: ProjectId
  /** Only entries of these types; every type when empty. */
  readonly types: ReadonlyArray<EventType>
  readonly limit: number
  /** Keyset: only entries with an id below this one (the last id of the previous page). */
  readonly before: string | null
}

/** The activity feed read model: one entry per project event, keyed by the event id. */
export class ActivityRepository extends Context.Tag("flowboard/ActivityRepository")<
  ActivityRepository,
  {
    /** `true` when stored now; `false` (and nothing changed) when the event already has its entry. */
    readonly record: (entry: ActivityEntry) => Effect.Effect<boolean, RepositoryError>
    /** The batch form of `record`, in one statement: answers how many entries were stored now. */
    readonly recordMany: (entries: ReadonlyArray<ActivityEntry>) => Effect.Effect<number, RepositoryError>
    /** Matching entries newest first (id descending): `limit` rows below `before`. */
    readonly list: (query: ActivityQuery) => Effect.Effect<ReadonlyArray<ActivityEntry>, RepositoryError>
    /** Forgets the feed of a deleted project. */
    readonly deleteProject: (projectId: ProjectId) => Effect.Effect<void, RepositoryError>
  }
>() {}
