import type { DateTime, Either, ParseResult } from "effect"
import { Schema } from "effect"
import type { AggregateType, DomainEvent, EventType } from "./Events.js"
import { AttachmentId, ColumnId, CommentId, EventId, newId, ProjectId, UserId } from "./Ids.js"
import { KeyScope, ProjectRole, ProjectStatus, UserRole } from "./Model.js"

/**
 * The payload of every domain event, one class per versioned type. The class's fields are the
 * JSON object the envelope carries (the `type` is the envelope's, not a payload field), so rows
 * recorded before these classes existed decode with them.
 *
 * Versioning: a payload changes compatibly only by adding optional fields. Anything else (a field
 * removed, renamed or retyped) is a new type `….v2` with a new class beside the old one; the old
 * class stays, because stored and in-flight `.v1` events are still decoded by consumers.
 *
 * Free text is a plain string here, not the request schema that once validated it: a payload
 * records what happened, and a rule tightened later must not make past events undecodable.
 */

// ---- projects ------------------------------------------------------------------------------

export class ProjectCreatedV1 extends Schema.Class<ProjectCreatedV1>("ProjectCreatedV1")({
  key: Schema.String,
  name: Schema.String,
  status: ProjectStatus,
  columns: Schema.Array(Schema.Struct({ id: ColumnId, name: Schema.String, isDone: Schema.Boolean }))
}) {
  static readonly type = "project.created.v1" as const
  get type() { return ProjectCreatedV1.type }
}

export class ProjectUpdatedV1 extends Schema.Class<ProjectUpdatedV1>("ProjectUpdatedV1")({
  name: Schema.String,
  description: Schema.String
}) {
  static readonly type = "project.updated.v1" as const
  get type() { return ProjectUpdatedV1.type }
}

export class ProjectMovedV1 extends Schema.Class<ProjectMovedV1>("ProjectMovedV1")({
  from: ProjectStatus,
  to: ProjectStatus,
  rank: Schema.String
}) {
  static readonly type = "project.moved.v1" as const
  get type() { return ProjectMovedV1.type }
}

export class ProjectDeletedV1 extends Schema.Class<ProjectDeletedV1>("ProjectDeletedV1")({ key: Schema.String }) {
  static readonly type = "project.deleted.v1" as const
  get type() { return ProjectDeletedV1.type }
}

// ---- members -------------------------------------------------------------------------------

export class MemberAddedV1 extends Schema.Class<MemberAddedV1>("MemberAddedV1")({ userId: UserId, role: ProjectRole }) {
  static readonly type = "member.added.v1" as const
  get type() { return MemberAddedV1.type }
}

export class MemberUpdatedV1 extends Schema.Class<MemberUpdatedV1>("MemberUpdatedV1")({ userId: UserId, role: ProjectRole }) {
  static readonly type = "member.updated.v1" as const
  get type() { return MemberUpdatedV1.type }
}

export class MemberRemovedV1 extends Schema.Class<MemberRemovedV1>("MemberRemovedV1")({ userId: UserId }) {
  static readonly type = "member.removed.v1" as const
  get type() { return MemberRemovedV1.type }
}

// ---- columns -------------------------------------------------------------------------------

/** A column event carries the column as it is after the change (as it was, for a deletion). */
const ColumnFields = {
  columnId: ColumnId,
  name: Schema.String,
  wipLimit: Schema.NullOr(Schema.Int),
  isDone: Schema.Boolean
}

export class ColumnCreatedV1 extends Schema.Class<ColumnCreatedV1>("ColumnCreatedV1")(ColumnFields) {
  static readonly type = "column.created.v1" as const
  get type() { return ColumnCreatedV1.type }
}

export class ColumnUpdatedV1 extends Schema.Class<ColumnUpdatedV1>("ColumnUpdatedV1")(ColumnFields) {
  static readonly type = "column.updated.v1" as const
  get type() { return ColumnUpdatedV1.type }
}

export class ColumnDeletedV1 extends Schema.Class<ColumnDeletedV1>("ColumnDeletedV1")(ColumnFields) {
  static readonly type = "column.deleted.v1" as const
  get type() { return ColumnDeletedV1.type }
}

export class ColumnsReorderedV1 extends Schema.Class<ColumnsReorderedV1>("ColumnsReorderedV1")({ columnIds: Schema.Array(ColumnId) }) {
  static readonly type = "columns.reordered.v1" as const
  get type() { return ColumnsReorderedV1.type }
}

/**
 * The tasks of a column were given fresh, evenly spread ranks in the same order (a key would
 * otherwise have grown past `Rank.MAX_LENGTH`): ranks a reader holds for this column, from the
 * board or from `task.moved.v1`, are on another scale now, so it re-reads the column.
 * `tasks` is how many the column holds, the one being moved or created included.
 */
export class ColumnRebalancedV1 extends Schema.Class<ColumnRebalancedV1>("ColumnRebalancedV1")({ columnId: ColumnId, tasks: Schema.Int }) {
  static readonly type = "column.rebalanced.v1" as const
  get type() { return ColumnRebalancedV1.type }
}

// ---- tasks (every task payload names its project: the aggregate is the task) ----------------

export class TaskCreatedV1 extends Schema.Class<TaskCreatedV1>("TaskCreatedV1")({
  projectId: ProjectId,
  number: Schema.Int,
  title: Schema.String,
  columnId: ColumnId,
  assigneeId: Schema.NullOr(UserId)
}) {
  static readonly type = "task.created.v1" as const
  get type() { return TaskCreatedV1.type }
}

export class TaskUpdatedV1 extends Schema.Class<TaskUpdatedV1>("TaskUpdatedV1")({
  projectId: ProjectId,
  /** The request fields the update named (not necessarily values that differ). */
  changed: Schema.Array(Schema.String)
}) {
  static readonly type = "task.updated.v1" as const
  get type() { return TaskUpdatedV1.type }
}

export class TaskMovedV1 extends Schema.Class<TaskMovedV1>("TaskMovedV1")({
  projectId: ProjectId,
  fromColumnId: ColumnId,
  toColumnId: ColumnId,
  rank: Schema.String,
  completed: Schema.Boolean
}) {
  static readonly type = "task.moved.v1" as const
  get type() { return TaskMovedV1.type }
}

export class TaskDeletedV1 extends Schema.Class<TaskDeletedV1>("TaskDeletedV1")({ projectId: ProjectId, number: Schema.Int }) {
  static readonly type = "task.deleted.v1" as const
  get type() { return TaskDeletedV1.type }
}

export class TaskOverdueV1 extends Schema.Class<TaskOverdueV1>("TaskOverdueV1")({
  projectId: ProjectId,
  number: Schema.Int,
  title: Schema.String,
  /** ISO 8601 in the JSON. */
  dueAt: Schema.DateTimeUtc,
  assigneeId: Schema.NullOr(UserId)
}) {
  static readonly type = "task.overdue.v1" as const
  get type() { return TaskOverdueV1.type }
}

// ---- comments ------------------------------------------------------------------------------

const CommentFields = { projectId: ProjectId, commentId: CommentId, authorId: UserId }

export class CommentAddedV1 extends Schema.Class<CommentAddedV1>("CommentAddedV1")(CommentFields) {
  static readonly type = "comment.added.v1" as const
  get type() { return CommentAddedV1.type }
}

export class CommentDeletedV1 extends Schema.Class<CommentDeletedV1>("CommentDeletedV1")(CommentFields) {
  static readonly type = "comment.deleted.v1" as const
  get type() { return CommentDeletedV1.type }
}

// ---- attachments ---------------------------------------------------------------------------

/** The attachment as it was stored (as it was, for a deletion); `filename` is the normalised name. */
const AttachmentFields = {
  projectId: ProjectId,
  attachmentId: AttachmentId,
  filename: Schema.String,
  contentType: Schema.String,
  size: Schema.Int
}

export class AttachmentAddedV1 extends Schema.Class<AttachmentAddedV1>("AttachmentAddedV1")(AttachmentFields) {
  static readonly type = "attachment.added.v1" as const
  get type() { return AttachmentAddedV1.type }
}

export class AttachmentDeletedV1 extends Schema.Class<AttachmentDeletedV1>("AttachmentDeletedV1")(AttachmentFields) {
  static readonly type = "attachment.deleted.v1" as const
  get type() { return AttachmentDeletedV1.type }
}

// ---- users and keys ------------------------------------------------------------------------

export class UserCreatedV1 extends Schema.Class<UserCreatedV1>("UserCreatedV1")({ email: Schema.String, role: UserRole }) {
  static readonly type = "user.created.v1" as const
  get type() { return UserCreatedV1.type }
}

export class ApiKeyCreatedV1 extends Schema.Class<ApiKeyCreatedV1>("ApiKeyCreatedV1")({
  userId: UserId,
  prefix: Schema.String,
  scopes: Schema.Array(KeyScope)
}) {
  static readonly type = "apikey.created.v1" as const
  get type() { return ApiKeyCreatedV1.type }
}

export class ApiKeyRevokedV1 extends Schema.Class<ApiKeyRevokedV1>("ApiKeyRevokedV1")({}) {
  static readonly type = "apikey.revoked.v1" as const
  get type() { return ApiKeyRevokedV1.type }
}

// ---- all of them ---------------------------------------------------------------------------

/** A payload with its type beside it: what `TypedPayload` holds, one member per event type. */
const keyed = <C extends { readonly type: EventType } & Schema.Schema.AnyNoContext>(Payload: C) =>
  Schema.Struct({ type: Schema.Literal(Payload.type), payload: Payload })

/**
 * Every payload class, keyed by its type: `{ type, payload }` is a union discriminated by the
 * literal `type`, so it decodes and encodes through the right class. (A plain union of the
 * classes would not: several payloads have the same JSON shape, or one that contains another's.)
 */
export const TypedPayload = Schema.Union(
  keyed(ProjectCreatedV1),
  keyed(ProjectUpdatedV1),
  keyed(ProjectMovedV1),
  keyed(ProjectDeletedV1),
  keyed(MemberAddedV1),
  keyed(MemberUpdatedV1),
  keyed(MemberRemovedV1),
  keyed(ColumnCreatedV1),
  keyed(ColumnUpdatedV1),
  keyed(ColumnDeletedV1),
  keyed(ColumnsReorderedV1),
  keyed(ColumnRebalancedV1),
  keyed(TaskCreatedV1),
  keyed(TaskUpdatedV1),
  keyed(TaskMovedV1),
  keyed(TaskDeletedV1),
  keyed(TaskOverdueV1),
  keyed(CommentAddedV1),
  keyed(CommentDeletedV1),
  keyed(AttachmentAddedV1),
  keyed(AttachmentDeletedV1),
  keyed(UserCreatedV1),
  keyed(ApiKeyCreatedV1),
  keyed(ApiKeyRevokedV1)
)
export type TypedPayload = typeof TypedPayload.Type

type PayloadClass = (typeof TypedPayload.members)[number]["fields"]["payload"]
/** Any payload instance; its `type` says which. */
export type EventPayload = Schema.Schema.Type<PayloadClass>
type ClassOf<T extends EventType> = Extract<PayloadClass, { readonly type: T }>
/** The payload (decoded) of events of type `T`. */
export type PayloadOf<T extends EventType> = Schema.Schema.Type<ClassOf<T>>
/** The payload as JSON of events of type `T`. */
export type PayloadJsonOf<T extends EventType> = Schema.Schema.Encoded<ClassOf<T>>

/**
 * The payload class of each type. Typed as a total map, so a type added to `EventType` without
 * its class does not compile, and a class filed under another type's key does not either.
 */
export const PayloadClasses: { readonly [T in EventType]: Schema.Schema<PayloadOf<T>, PayloadJsonOf<T>> } = {
  "project.created.v1": ProjectCreatedV1,
  "project.updated.v1": ProjectUpdatedV1,
  "project.moved.v1": ProjectMovedV1,
  "project.deleted.v1": ProjectDeletedV1,
  "member.added.v1": MemberAddedV1,
  "member.updated.v1": MemberUpdatedV1,
  "member.removed.v1": MemberRemovedV1,
  "column.created.v1": ColumnCreatedV1,
  "column.updated.v1": ColumnUpdatedV1,
  "column.deleted.v1": ColumnDeletedV1,
  "columns.reordered.v1": ColumnsReorderedV1,
  "column.rebalanced.v1": ColumnRebalancedV1,
  "task.created.v1": TaskCreatedV1,
  "task.updated.v1": TaskUpdatedV1,
  "task.moved.v1": TaskMovedV1,
  "task.deleted.v1": TaskDeletedV1,
  "task.overdue.v1": TaskOverdueV1,
  "comment.added.v1": CommentAddedV1,
  "comment.deleted.v1": CommentDeletedV1,
  "attachment.added.v1": AttachmentAddedV1,
  "attachment.deleted.v1": AttachmentDeletedV1,
  "user.created.v1": UserCreatedV1,
  "apikey.created.v1": ApiKeyCreatedV1,
  "apikey.revoked.v1": ApiKeyRevokedV1
}

/**
 * An envelope's payload as its type's class. Payloads are data from the past: a consumer decodes
 * rather than trusts them, and decides itself what a payload that does not decode means.
 */
export const decodePayload = <T extends EventType>(type: T, payload: unknown): Either.Either<PayloadOf<T>, ParseResult.ParseError> =>
  Schema.decodeUnknownEither(PayloadClasses[type])(payload)

/**
 * A payload as the JSON object its envelope carries. The copy matters only for a class without
 * fields, whose encoding is the instance itself: the envelope gets a plain object all the same.
 */
export const encodePayload = <T extends EventType>(type: T, payload: PayloadOf<T>): PayloadJsonOf<T> => ({
  ...Schema.encodeSync(PayloadClasses[type])(payload)
})

/**
 * The aggregate whose stream each event type belongs to: columns and members are part of their
 * project, comments and attachments of their task. Per-aggregate ordering (the relay's, the consumers') and the
 * version an event carries are the aggregate's, so an event filed under the wrong one would be
 * ordered against the wrong history.
 */
export const aggregateOfEvent = {
  "project.created.v1": "project",
  "project.updated.v1": "project",
  "project.moved.v1": "project",
  "project.deleted.v1": "project",
  "member.added.v1": "project",
  "member.updated.v1": "project",
  "member.removed.v1": "project",
  "column.created.v1": "project",
  "column.updated.v1": "project",
  "column.deleted.v1": "project",
  "columns.reordered.v1": "project",
  "column.rebalanced.v1": "project",
  "task.created.v1": "task",
  "task.updated.v1": "task",
  "task.moved.v1": "task",
  "task.deleted.v1": "task",
  "task.overdue.v1": "task",
  "comment.added.v1": "task",
  "comment.deleted.v1": "task",
  "attachment.added.v1": "task",
  "attachment.deleted.v1": "task",
  "user.created.v1": "user",
  "apikey.created.v1": "apikey",
  "apikey.revoked.v1": "apikey"
} as const satisfies { readonly [T in EventType]: AggregateType }

/** The payloads of the events an aggregate of type `A` records. */
export type PayloadFor<A extends AggregateType> = {
  readonly [T in EventType]: (typeof aggregateOfEvent)[T] extends A ? PayloadOf<T> : never
}[EventType]

/**
 * A domain event of the payload's type, its payload as the JSON object the envelope carries.
 * `aggregate.version` is the aggregate's version after the change. The aggregate's type must be
 * the one the payload's event type belongs to (`aggregateOfEvent`): a task event filed under a
 * project does not compile.
 */
export const makeEvent = <P extends EventPayload>(
  aggregate: { readonly type: (typeof aggregateOfEvent)[P["type"]]; readonly id: string; readonly version: number },
  occurredAt: DateTime.Utc,
  payload: P
): DomainEvent => ({
  id: newId(EventId),
  type: payload.type,
  aggregateType: aggregate.type,
  aggregateId: aggregate.id,
  aggregateVersion: aggregate.version,
  occurredAt,
  payload: encodePayload(payload.type, payload)
})
