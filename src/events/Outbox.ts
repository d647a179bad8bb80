import { Effect, FiberRef } from "effect"
import { auditedActions } from "../audit/AuditedEvents.js"
import { auditActor, draftOf } from "../audit/AuditTrail.js"
import type { Actor } from "../domain/Actor.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { DomainEvent } from "../domain/Events.js"
import { CurrentRequest } from "../observability/RequestContext.js"
import { AuditRepository } from "../repositories/AuditRepository.js"
import { OutboxRepository } from "../repositories/OutboxRepository.js"
import { countSecurityEvent } from "../security/SecurityEvents.js"

/**
 * What services call to record their events. It must be called inside the same unit of work as
 * the change; it stamps each event with the actor and the request's correlation and trace.
 * Events that are also audit entries (user and key changes, memberships, deleted and archived
 * projects: audit/AuditedEvents.ts) are appended to the audit trail in the same unit.
 */
export class Outbox extends Effect.Service<Outbox>()("flowboard/Outbox", {
  effect: Effect.gen(function* () {
    const repository = yield* OutboxRepository
    const audit = yield* AuditRepository
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
        const audited = auditedActions(events)
        if (audited.length > 0) {
          const who = yield* auditActor(actor)
          yield* audit.append(yield* Effect.forEach(audited, ({ audited }) => draftOf(who, { ...audited, outcome: "success" })))
          yield* countSecurityEvent("admin_action", audited.length)
        }
      })
    return { record } as const
  })
}) {}
