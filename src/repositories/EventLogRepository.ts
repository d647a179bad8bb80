import { Context, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"

/**
 * The outbox read as a log, for the live event stream: published or not, rows stay until the
 * retention job prunes them. Ids are UUIDv7, so id order is (nearly) commit order; see
 * "Live events" in docs/architecture.md for the rows that commit out of order.
 */
export class EventLogRepository extends Context.Tag("flowboard/EventLogRepository")<
  EventLogRepository,
  {
    /**
     * Events of the project (project events with that aggregate id, task events whose
     * `payload.projectId` is it) with an id above `after`, in id order, at most `limit`.
     */
    readonly projectEventsAfter: (
      projectId: ProjectId,
      after: string | null,
      limit: number
    ) => Effect.Effect<ReadonlyArray<OutboxEnvelope>, RepositoryError>
    /** Every event with an id above `after` (all when `null`) and at most `upTo`, in id order, at most `limit`. */
    readonly range: (
      after: string | null,
      upTo: string | null,
      limit: number
    ) => Effect.Effect<ReadonlyArray<OutboxEnvelope>, RepositoryError>
  }
>() {}
