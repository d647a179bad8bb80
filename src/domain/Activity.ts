import { Option, Schema } from "effect"
import { AggregateType, Envelope, EventType, type OutboxEnvelope } from "./Events.js"
import { EventId, ProjectId } from "./Ids.js"
import { Timestamp } from "./Model.js"

/**
 * One line of a project's activity feed: one per domain event of the project, written by the
 * activity handler. `id` is the event's id, so entries sort like the events (UUIDv7) and the
 * feed pages by it, newest first.
 */
export class ActivityEntry extends Schema.Class<ActivityEntry>("ActivityEntry")({
  id: EventId.annotations({ description: "The id of the event this entry records" }),
  projectId: ProjectId,
  type: EventType,
  aggregateType: AggregateType,
  aggregateId: Schema.String,
  /** The id of the user who made the change; `null` for changes the system made itself. */
  actor: Schema.NullOr(Schema.String),
  occurredAt: Timestamp,
  summary: Schema.String.annotations({ description: "A short human-readable description of the change" }),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}) {}

/**
 * The project an event belongs to: the aggregate itself for project events, `payload.projectId`
 * for task events. Users and API keys belong to no project.
 */
export const projectIdOf = (event: Pick<OutboxEnvelope, "aggregateType" | "aggregateId" | "payload">): Option.Option<ProjectId> => {
  const raw = event.aggregateType === "project" ? event.aggregateId : event.aggregateType === "task" ? event.payload["projectId"] : undefined
  return Schema.decodeUnknownOption(ProjectId)(raw)
}

/** Every event type that concerns a project: what the activity feed and the live stream carry. */
export const PROJECT_EVENT_TYPES: ReadonlyArray<EventType> = EventType.literals.filter(
  (type) => !type.startsWith("user.") && !type.startsWith("apikey.")
)

/**
 * An event as it leaves the system (live stream): the envelope without its tracing internals
 * (`traceparent`, `causationId`), which say nothing to a board and something about our spans.
 */
export const PublicEvent = Envelope.omit("traceparent", "causationId")
export type PublicEvent = typeof PublicEvent.Type

export const toPublicEvent = (event: OutboxEnvelope): PublicEvent => ({
  id: event.id,
  type: event.type,
  aggregateType: event.aggregateType,
  aggregateId: event.aggregateId,
  aggregateVersion: event.aggregateVersion,
  occurredAt: event.occurredAt,
  actor: event.actor,
  correlationId: event.correlationId,
  payload: event.payload
})
