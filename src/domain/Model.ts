import { Schema } from "effect"
import { ApiKeyId, ColumnId, CommentId, ProjectId, TaskId, UserId } from "./Ids.js"

/** Strict input structs: unknown fields are an error, not silently dropped. */
export const strict = { parseOptions: { onExcessProperty: "error" as const } }

export const Timestamp = Schema.DateTimeUtc

// ---- users and keys ----------------------------------------------------------------------
export const UserRole = Schema.Literal("admin", "member")
export type UserRole = typeof UserRole.Type

export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Schema.String,
  name: Schema.String,
  role: UserRole,
  createdAt: Timestamp
}) {}

export const KeyScope = Schema.Literal("read", "write", "admin")
export type KeyScope = typeof KeyScope.Type

export class ApiKey extends Schema.Class<ApiKey>("ApiKey")({
  id: ApiKeyId,
  userId: UserId,
  name: Schema.String,
  prefix: Schema.String,
  scopes: Schema.Array(KeyScope),
  expiresAt: Schema.NullOr(Timestamp),
  revokedAt: Schema.NullOr(Timestamp),
  lastUsedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp
}) {}

/** Stored form of a key: the digest never leaves the repository and the auth service. */
export interface StoredApiKey {
  readonly key: ApiKey
  readonly secretHash: string
}

// ---- projects ----------------------------------------------------------------------------
export const ProjectStatus = Schema.Literal("planning", "active", "on_hold", "completed", "archived")
export type ProjectStatus = typeof ProjectStatus.Type
export const ProjectRole = Schema.Literal("owner", "editor", "viewer")
export type ProjectRole = typeof ProjectRole.Type
export const ProjectKey = Schema.String.pipe(
  Schema.pattern(/^[A-Z][A-Z0-9]{1,9}$/, { message: () => "must be 2-10 upper-case letters or digits, starting with a letter" })
)

export class Project extends Schema.Class<Project>("Project")({
  id: ProjectId,
  key: Schema.String,
  name: Schema.String,
  description: Schema.String,
  ownerId: UserId,
  status: ProjectStatus,
  rank: Schema.String,
  version: Schema.Int,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

export class Member extends Schema.Class<Member>("Member")({
  projectId: ProjectId,
  userId: UserId,
  role: ProjectRole,
  addedAt: Timestamp
}) {}

// ---- board -------------------------------------------------------------------------------
export class Column extends Schema.Class<Column>("Column")({
  id: ColumnId,
  projectId: ProjectId,
  name: Schema.String,
  rank: Schema.String,
  wipLimit: Schema.NullOr(Schema.Int),
  isDone: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

export const Priority = Schema.Literal("low", "medium", "high", "urgent")
export type Priority = typeof Priority.Type

export class Task extends Schema.Class<Task>("Task")({
  id: TaskId,
  projectId: ProjectId,
  number: Schema.Int,
  title: Schema.String,
  description: Schema.String,
  columnId: ColumnId,
  rank: Schema.String,
  priority: Priority,
  assigneeId: Schema.NullOr(UserId),
  labels: Schema.Array(Schema.String),
  dueAt: Schema.NullOr(Timestamp),
  estimate: Schema.NullOr(Schema.Number),
  completedAt: Schema.NullOr(Timestamp),
  version: Schema.Int,
  createdBy: UserId,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

export class Comment extends Schema.Class<Comment>("Comment")({
  id: CommentId,
  taskId: TaskId,
  authorId: UserId,
  body: Schema.String,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}
