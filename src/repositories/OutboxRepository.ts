import { Context, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"

/**
 * The transactional outbox. Services call `append` inside their unit of work, so an event is
 * stored if and only if its change commits. Relaying is the event pipeline's job.
 */
export class OutboxRepository extends Context.Tag("flowboard/OutboxRepository")<
  OutboxRepository,
  {
    readonly append: (events: ReadonlyArray<OutboxEnvelope>) => Effect.Effect<void, RepositoryError>
    /** Every stored event in id order (events are time-ordered); for tests and replay. */
    readonly listAll: Effect.Effect<ReadonlyArray<OutboxEnvelope>, RepositoryError>
  }
>() {}
