import { Context, type DateTime, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { EventId } from "../domain/Ids.js"

/**
 * Which events each handler has handled. The consumer runtime records `(handler, eventId)` in
 * the same unit of work as the handler's effect, so the two commit together: a second delivery
 * of the event finds the row and skips the effect. On Postgres the insert of a row another
 * transaction holds uncommitted waits for it, so even two concurrent deliveries apply it once.
 */
export class InboxRepository extends Context.Tag("flowboard/InboxRepository")<
  InboxRepository,
  {
    /** `true` when recorded now, `false` (and nothing changed) when it already was. */
    readonly record: (handler: string, eventId: EventId, handledAt: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /**
     * The batch form of `record`, in one statement: records every pair not recorded yet and
     * answers the event ids recorded now (the fresh ones). Ids may repeat; each counts once.
     */
    readonly recordMany: (handler: string, eventIds: ReadonlyArray<EventId>, handledAt: DateTime.Utc) => Effect.Effect<ReadonlySet<EventId>, RepositoryError>
    readonly contains: (handler: string, eventId: EventId) => Effect.Effect<boolean, RepositoryError>
  }
>() {}
