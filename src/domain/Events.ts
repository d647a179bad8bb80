import type { DateTime } from "effect"
import { Schema } from "effect"
import { EventId } from "./Ids.js"

/**
 * A domain event, as the services record it in the outbox inside the transaction that made the
 * change. `type` is versioned (`task.moved.v1`) so consumers can evolve independently.
 * Request context (actor, correlation, trace) is stamped on by the outbox adapter. Each type has
 * its payload class in `DomainEvents.ts`; `makeEvent` there is how services build one.
 */
export const EventType = Schema.Literal(
  "project.created.v1",
  "project.updated.v1",
  "project.moved.v1",
  "project.deleted.v1",
  "member.added.v1",
  "member.updated.v1",
  "member.removed.v1",
  "column.created.v1",
  "column.updated.v1",
  "column.deleted.v1",
  "columns.reordered.v1",
  "column.rebalanced.v1",
  "task.created.v1",
  "task.updated.v1",
  "task.moved.v1",
  "task.deleted.v1",
  "task.overdue.v1",
  "comment.added.v1",
  "comment.deleted.v1",
  "attachment.added.v1",
  "attachment.deleted.v1",
  "user.created.v1",
  "apikey.created.v1",
  "apikey.revoked.v1"
)
export type EventType = typeof EventType.Type

export const AggregateType = Schema.Literal("project", "task", "user", "apikey")
export type AggregateType = typeof AggregateType.Type

export interface DomainEvent {
  readonly id: EventId
  readonly type: EventType
  readonly aggregateType: AggregateType
  readonly aggregateId: string
  readonly aggregateVersion: number
  readonly occurredAt: DateTime.Utc
  readonly payload: Readonly<Record<string, unknown>>
}

/**
 * The envelope as JSON (ISO timestamps): the one schema behind the wire format, the dead-letter
 * copy, the live stream and the SQL rows (which swap in their own timestamp and payload codecs).
 */
export const Envelope = Schema.Struct({
  id: EventId,
  type: EventType,
  aggregateType: AggregateType,
  aggregateId: Schema.String,
  aggregateVersion: Schema.Int,
  occurredAt: Schema.DateTimeUtc,
  actor: Schema.NullOr(Schema.String),
  correlationId: Schema.NullOr(Schema.String),
  causationId: Schema.NullOr(Schema.String),
  traceparent: Schema.NullOr(Schema.String),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/** The envelope as stored: the event plus the context of the request that caused it. */
export interface OutboxEnvelope extends DomainEvent {
  readonly actor: string | null
  readonly correlationId: string | null
  readonly causationId: string | null
  readonly traceparent: string | null
}
