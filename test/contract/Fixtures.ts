import { DateTime, Effect } from "effect"
import { randomBytes } from "node:crypto"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { ApiKeyId, ColumnId, CommentId, EventId, newId, ProjectId, TaskId, UserId } from "../../src/domain/Ids.js"
import { ApiKey, Column, Comment, Member, Project, type StoredApiKey, Task, User } from "../../src/domain/Model.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { UserRepository } from "../../src/repositories/UserRepository.js"

/**
 * Test data factories. Every unique column gets a value no other test, run or process sharing the
 * database can produce, so suites never depend on an empty database.
 */
const runId = randomBytes(4).toString("hex")
let counter = 0
export const unique = (): string => `${runId}${(counter++).toString(36)}`

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const randomKey = (): string => `P${Array.from(randomBytes(9), (b) => ALNUM[b % 36]).join("")}`

/** 2026-01-01T00:00:00.123Z: a whole millisecond, with a non-zero millisecond part so truncation shows. */
export const T0 = 1_767_225_600_123
/** `T0 + offsetMs` as a UTC DateTime. Postgres keeps microseconds, so whole milliseconds round-trip. */
export const at = (offsetMs: number): DateTime.Utc => DateTime.unsafeMake(T0 + offsetMs)

// Task numbers only need to be unique per project; a process-wide counter is simplest.
let taskNumber = 0

export const aUser = (fields: Partial<User> = {}): User =>
  new User({ id: newId(UserId), email: `user-${unique()}@example.test`, name: "Ada", role: "member", createdAt: at(0), ...fields })

export const anApiKey = (userId: UserId, fields: Partial<ApiKey> = {}): StoredApiKey => ({
  key: new ApiKey({
    id: newId(ApiKeyId),
    userId,
    name: "ci",
    prefix: `fbk_${unique()}`,
    scopes: ["read"],
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    createdAt: at(0),
    ...fields
  }),
  secretHash: `sha256:${randomBytes(16).toString("hex")}`
})

export const aProject = (ownerId: UserId, fields: Partial<Project> = {}): Project =>
  new Project({
    id: newId(ProjectId),
    key: randomKey(),
    name: `Project ${unique()}`,
    description: "",
    ownerId,
    status: "active",
    rank: "V",
    version: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...fields
  })

export const aMember = (projectId: ProjectId, userId: UserId, fields: Partial<Member> = {}): Member =>
  new Member({ projectId, userId, role: "editor", addedAt: at(0), ...fields })

export const aColumn = (projectId: ProjectId, fields: Partial<Column> = {}): Column =>
  new Column({
    id: newId(ColumnId),
    projectId,
    name: "To do",
    rank: "V",
    wipLimit: null,
    isDone: false,
    createdAt: at(0),
    updatedAt: at(0),
    ...fields
  })

export interface Board {
  readonly owner: User
  readonly project: Project
  readonly column: Column
}

export const aTask = (board: Board, fields: Partial<Task> = {}): Task =>
  new Task({
    id: newId(TaskId),
    projectId: board.project.id,
    number: ++taskNumber,
    title: `Task ${unique()}`,
    description: "",
    columnId: board.column.id,
    rank: "V",
    priority: "medium",
    assigneeId: null,
    labels: [],
    dueAt: null,
    estimate: null,
    completedAt: null,
    version: 1,
    createdBy: board.owner.id,
    createdAt: at(0),
    updatedAt: at(0),
    ...fields
  })

export const aComment = (taskId: TaskId, authorId: UserId, fields: Partial<Comment> = {}): Comment =>
  new Comment({ id: newId(CommentId), taskId, authorId, body: "Looks good", createdAt: at(0), updatedAt: at(0), ...fields })

export const anEnvelope = (fields: Partial<OutboxEnvelope> = {}): OutboxEnvelope => ({
  id: newId(EventId),
  type: "task.created.v1",
  aggregateType: "task",
  aggregateId: newId(TaskId),
  aggregateVersion: 1,
  occurredAt: at(0),
  payload: { title: "Write docs", labels: ["docs"], estimate: 2.5, nested: { done: false } },
  actor: null,
  correlationId: null,
  causationId: null,
  traceparent: null,
  ...fields
})

// ---- seeding through the ports ------------------------------------------------------------

const expectInserted = (what: string) => (inserted: boolean) =>
  inserted ? Effect.void : Effect.dieMessage(`fixture ${what} was not inserted: unique value clash`)

export const givenUser = (fields: Partial<User> = {}) =>
  Effect.gen(function* () {
    const user = aUser(fields)
    yield* Effect.flatMap((yield* UserRepository).insert(user), expectInserted("user"))
    return user
  })

/** A project with its owner as an `owner` member. */
export const givenProject = (fields: Partial<Project> = {}) =>
  Effect.gen(function* () {
    const projects = yield* ProjectRepository
    const owner = yield* givenUser()
    const project = aProject(owner.id, fields)
    yield* Effect.flatMap(projects.insert(project), expectInserted("project"))
    yield* Effect.flatMap(projects.addMember(aMember(project.id, owner.id, { role: "owner" })), expectInserted("member"))
    return { owner, project }
  })

/** A project with one column: the smallest place a task can live. */
export const givenBoard = (fields: Partial<Project> = {}) =>
  Effect.gen(function* () {
    const { owner, project } = yield* givenProject(fields)
    const column = aColumn(project.id)
    yield* (yield* ColumnRepository).insert(column)
    return { owner, project, column } satisfies Board
  })

export const givenTask = (board: Board, fields: Partial<Task> = {}) =>
  Effect.gen(function* () {
    const task = aTask(board, fields)
    yield* (yield* TaskRepository).insert(task)
    return task
  })
