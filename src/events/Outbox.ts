import { Effect, FiberRef } from "effect"
import type { Actor } from "../domain/Actor.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { DomainEvent } from "../domain/Events.js"
import { CurrentRequest } from "../observability/RequestContext.js"
import { OutboxRepository } from "../repositories/OutboxRepository.js"

/**
 * What services call to record their events. It must be called inside the same unit of work as
 * the change; it stamps each event with the actor and the request's correlation and trace.
 */
export class Outbox extends Effect.Service<Outbox>()("flowboard/Outbox", {
  effect: Effect.gen(function* () {
    const repository = yield* OutboxRepository
    const record = (actor: Actor | null, events: ReadonlyArray<DomainEvent>): Effect.Effect<void, RepositoryError> =>
      Effect.gen(function* () {
        if (events.length === 0) return
        const request = yield* FiberRef.get(CurrentRequest)
        yield* repository.append(
          events.map((event) => ({
            ...event,
            actor: actor === null ? null : actor.user.id,
            correlationId: request.correlationId,
            causationId: request.causationId,
            traceparent: request.traceparent
          }))
        )
      })
    return { record } as const
  })
}) {}
