import { Either, Option, Schema } from "effect"
import { aggregateOfEvent, decodePayload, type PayloadFor } from "./DomainEvents.js"
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

type TaskEventType = { readonly [T in EventType]: (typeof aggregateOfEvent)[T] extends "task" ? T : never }[EventType]

const isTaskEvent = (type: EventType): type is TaskEventType => aggregateOfEvent[type] === "task"

/** Every task event's payload names the task's project: a task payload without one does not compile. */
const projectOfTask = (payload: PayloadFor<"task">): ProjectId => payload.projectId

/**
 * The project an event belongs to: the aggregate itself for project events; for task events
 * (comments included) the `projectId` of the payload, read through its class. Users and API
 * keys belong to no project, and neither does an event whose payload does not decode.
 */
export const projectIdOf = (event: Pick<OutboxEnvelope, "type" | "aggregateType" | "aggregateId" | "payload">): Option.Option<ProjectId> => {
  if (event.aggregateType === "project") return Schema.decodeUnknownOption(ProjectId)(event.aggregateId)
  if (event.aggregateType !== "task" || !isTaskEvent(event.type)) return Option.none()
  return Option.map(Either.getRight(decodePayload(event.type, event.payload)), projectOfTask)
}

/** Every event type that concerns a project: what the live stream carries. */
export const PROJECT_EVENT_TYPES: ReadonlyArray<EventType> = EventType.literals.filter(
  (type) => aggregateOfEvent[type] === "project" || isTaskEvent(type)
)

/**
 * What the activity feed records: every project event that is someone's act. A rebalance is
 * the system keeping its keys short, in the unit of work of whichever move or creation needed
 * it; a live board must hear of it, the feed would only show noise.
 */
export const ACTIVITY_EVENT_TYPES: ReadonlyArray<EventType> = PROJECT_EVENT_TYPES.filter((type) => type !== "column.rebalanced.v1")

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
