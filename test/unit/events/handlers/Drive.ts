import { Effect } from "effect"
import type { OutboxEnvelope } from "../../../../src/domain/Events.js"
import type { EventHandler } from "../../../../src/events/EventHandler.js"
import { wants } from "../../../../src/events/HandlerRegistry.js"
import { OutboxRepository } from "../../../../src/repositories/OutboxRepository.js"

/**
 * Plays the consumer runtime's part without it: every envelope the services recorded, in
 * outbox order, to the handler if it wants that type. Returns the envelopes handed over.
 */
export const handleRecorded = (handler: EventHandler, after: ReadonlySet<string> = new Set()) =>
  Effect.gen(function* () {
    const events = (yield* (yield* OutboxRepository).listAll).filter((event) => !after.has(event.id) && wants(handler, event.type))
    yield* Effect.forEach(events, handler.handle, { discard: true })
    return events
  })

/** The ids of the events recorded so far, to hand only later ones over next time. */
export const recordedIds = Effect.map(
  Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll),
  (events: ReadonlyArray<OutboxEnvelope>) => new Set(events.map((event) => event.id))
)
