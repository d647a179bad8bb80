/**
 * Which domain events are also audit entries, and as what. The outbox records them in the unit of
 * work that records the event (src/events/Outbox.ts), so the change, its event and its audit row
 * commit together or not at all. Payloads never hold secrets (a key's event carries its prefix,
 * never its secret), so what changed goes into `details` as the event states it: `after` is the
 * new state; the state before is the previous entry for the same target.
 */
import type { AuditDetails } from "../domain/Audit.js"
import type { DomainEvent, EventType } from "../domain/Events.js"

export interface AuditedAction {
  readonly action: string
  readonly targetType: string
  readonly targetId: string
  readonly details: AuditDetails
}

const same = (event: DomainEvent, action: string): AuditedAction => ({
  action,
  targetType: event.aggregateType,
  targetId: event.aggregateId,
  details: { after: event.payload }
})

const actions: Partial<Record<EventType, (event: DomainEvent) => AuditedAction | null>> = {
  "user.created.v1": (event) => same(event, "user.created"),
  "apikey.created.v1": (event) => same(event, "apikey.issued"),
  "apikey.revoked.v1": (event) => ({ ...same(event, "apikey.revoked"), details: {} }),
  "member.added.v1": (event) => same(event, "member.added"),
  "member.updated.v1": (event) => same(event, "member.updated"),
  "member.removed.v1": (event) => same(event, "member.removed"),
  "project.deleted.v1": (event) => same(event, "project.deleted"),
  // A move of status is audited when it archives a project or brings one back.
  "project.moved.v1": (event) => {
    const { from, to } = event.payload as { readonly from?: unknown; readonly to?: unknown }
    if (to === "archived") return { ...same(event, "project.archived"), details: { before: { status: from }, after: { status: to } } }
    if (from === "archived") return { ...same(event, "project.unarchived"), details: { before: { status: from }, after: { status: to } } }
    return null
  }
}

/** The audit entries the events stand for: none for most (task and column changes are activity, not audit). */
export const auditedActions = (events: ReadonlyArray<DomainEvent>): ReadonlyArray<{ readonly event: DomainEvent; readonly audited: AuditedAction }> => {
  const out: Array<{ readonly event: DomainEvent; readonly audited: AuditedAction }> = []
  for (const event of events) {
    const audited = actions[event.type]?.(event) ?? null
    if (audited !== null) out.push({ event, audited })
  }
  return out
}

export const auditedEventTypes: ReadonlyArray<EventType> = Object.keys(actions) as ReadonlyArray<EventType>
