import { DateTime, Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { NotFound, type RepositoryError, ValidationError, VersionConflict, WipLimitExceeded } from "../domain/Errors.js"
import { ColumnRebalancedV1, makeEvent, TaskCreatedV1, TaskDeletedV1, TaskMovedV1, TaskUpdatedV1 } from "../domain/DomainEvents.js"
import { newId, type ColumnId, type ProjectId, TaskId, type TaskId as TaskIdT, type UserId } from "../domain/Ids.js"
import { type Column, type Priority, Task } from "../domain/Model.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import type { CreateTask, MoveTask, UpdateTask } from "../domain/Requests.js"
import { Outbox } from "../events/Outbox.js"
import { countTaskCreated, countTaskMoved } from "../observability/Metrics.js"
import { ColumnRepository } from "../repositories/ColumnRepository.js"
import { ProjectRepository } from "../repositories/ProjectRepository.js"
import { TaskRepository } from "../repositories/TaskRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { placeRank, type Rebalance } from "./Placement.js"
import { ProjectAccess } from "./ProjectAccess.js"

export interface TaskListQuery {
  readonly columnId: ColumnId | null
  readonly assigneeId: UserId | null
  readonly label: string | null
  readonly priority: Priority | null
  readonly dueBefore: DateTime.Utc | null
  readonly dueAfter: DateTime.Utc | null
  readonly search: string | null
  readonly limit: number
  readonly cursor: string | null
}

const taskEvent = (task: Task, now: DateTime.Utc, payload: TaskCreatedV1 | TaskUpdatedV1 | TaskMovedV1 | TaskDeletedV1) =>
  makeEvent({ type: "task", id: task.id, version: task.version }, now, payload)

/** `completedAt` follows the column: set on entering a done column, cleared on leaving one. */
const completion = (task: Pick<Task, "completedAt"> | null, from: Column | null, to: Column, now: DateTime.Utc) =>
  !to.isDone ? null : from !== null && from.isDone && task !== null ? task.completedAt : now

export class TaskService extends Effect.Service<TaskService>()("flowboard/TaskService", {
  effect: Effect.gen(function* () {
    const tasks = yield* TaskRepository
    const columns = yield* ColumnRepository
    const projects = yield* ProjectRepository
    const tx = yield* Transactor
    const outbox = yield* Outbox
    const access = yield* ProjectAccess

    const requireTask = access.requireTask

    /** The assignee stays a member until this unit ends: their removal (which unassigns) waits. */
    const checkAssignee = (projectId: ProjectId, assigneeId: UserId | null | undefined) =>
      assigneeId === null || assigneeId === undefined
        ? Effect.void
        : Effect.flatMap(projects.lockMember(projectId, assigneeId), (m) =>
            Option.isSome(m) ? Effect.void : Effect.fail(ValidationError.field("assigneeId", "must be a member of the project"))
          )

    /** Locks the target column, then checks there is room for one more task in it. */
    const lockWithRoom = (projectId: ProjectId, columnId: ColumnId) =>
      Effect.gen(function* () {
        const column = yield* columns.lock(columnId)
        if (Option.isNone(column) || column.value.projectId !== projectId) {
          return yield* ValidationError.field("columnId", "no such column in this project")
        }
        const limit = column.value.wipLimit
        if (limit !== null && (yield* tasks.countInColumn(columnId)) >= limit) {
          return yield* new WipLimitExceeded({ message: `column ${column.value.name} is at its WIP limit of ${limit}`, columnId, limit })
        }
        return column.value
      })

    const anchorIn = (columnId: ColumnId, field: "afterId" | "beforeId", id: TaskIdT | undefined, self: TaskIdT | null) =>
      id === undefined
        ? Effect.succeed(null)
        : Effect.flatMap(tasks.findById(id), (t) =>
            Option.isSome(t) && t.value.columnId === columnId && t.value.id !== self
              ? Effect.succeed(t.value)
              : Effect.fail(ValidationError.field(field, "no such task in the target column"))
          )

    const stale = (task: Task, expected: number) =>
      new VersionConflict({ message: "task was changed by someone else", resource: "task", id: task.id, expected, actual: task.version })

    /**
     * When a key in `columnId` would grow too long, the column's tasks get fresh ranks and the
     * project's live readers are told to re-read the column (`column.rebalanced.v1`), in the
     * unit of work of the move or creation that needed it.
     */
    const rebalanceColumn = (actor: Actor, projectId: ProjectId, columnId: ColumnId, id: TaskIdT): Rebalance<TaskIdT> => ({
      id,
      others: tasks.listRanks(columnId),
      rewrite: (others) =>
        Effect.gen(function* () {
          yield* tasks.rewriteRanks(columnId, others)
          // Gone only if deleted meanwhile, and then nobody is left to tell.
          const project = yield* projects.findById(projectId)
          if (Option.isNone(project)) return
          const now = yield* DateTime.now
          const aggregate = { type: "project", id: projectId, version: project.value.version } as const
          yield* outbox.record(actor, [makeEvent(aggregate, now, new ColumnRebalancedV1({ columnId, tasks: others.length + 1 }))])
        })
    })

    const save = (next: Task, previous: Task): Effect.Effect<Task, VersionConflict | RepositoryError> =>
      Effect.flatMap(tasks.update(next, previous.version), (ok) => (ok ? Effect.succeed(next) : Effect.fail(stale(previous, previous.version))))

    return {
      create: Effect.fn("TaskService.create")(function* (actor: Actor, projectId: ProjectId, input: CreateTask) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // The checks that lock nothing come first. The project is held against deletion
            // (key share, which no other write waits for) so the counter below finds it.
            yield* access.require(actor, projectId, "editor", "keyShare")
            const firstColumn = Effect.gen(function* () {
              const first = (yield* columns.listByProject(projectId))[0]
              if (first === undefined) return yield* ValidationError.field("columnId", "the board has no columns")
              return first.id
            })
            const chosen = input.columnId ?? (yield* firstColumn)
            // From the counter on, creations in this project queue behind each other (the counter
            // is a row lock on the project, then the column's): only the statements that need
            // those locks run while they are held, project first as in every write.
            const number = yield* projects.nextTaskNumber(projectId)
            const column = yield* lockWithRoom(projectId, chosen).pipe(
              // The first column was deleted since it was read: the first one now, read under the
              // counter's lock, which board changes also take.
              Effect.catchTag("ValidationError", (error) =>
                input.columnId === undefined ? Effect.flatMap(firstColumn, (id) => lockWithRoom(projectId, id)) : Effect.fail(error)
              )
            )
            const columnId = column.id
            yield* checkAssignee(projectId, input.assigneeId)
            const id = newId(TaskId)
            const rank = yield* placeRank<TaskIdT>({
              after: null,
              before: null,
              position: input.position,
              neighbour: (at, direction) => tasks.neighbourRank(columnId, at, direction, null),
              rebalance: rebalanceColumn(actor, projectId, columnId, id)
            })
            const now = yield* DateTime.now
            const task = new Task({
              id,
              projectId,
              number,
              title: input.title,
              description: input.description,
              columnId,
              rank,
              priority: input.priority,
              assigneeId: input.assigneeId,
              labels: [...new Set(input.labels)],
              dueAt: input.dueAt,
              estimate: input.estimate,
              completedAt: completion(null, null, column, now),
              version: 1,
              createdBy: actor.user.id,
              createdAt: now,
              updatedAt: now
            })
            yield* tasks.insert(task)
            yield* outbox.record(actor, [taskEvent(task, now, new TaskCreatedV1({ projectId, number: task.number, title: task.title, columnId, assigneeId: task.assigneeId }))])
            return task
          })
        ).pipe(Effect.tap(countTaskCreated))
      }),

      get: Effect.fn("TaskService.get")(function* (actor: Actor, id: TaskIdT) {
        return (yield* requireTask(actor, id, "viewer")).task
      }),

      list: Effect.fn("TaskService.list")(function* (actor: Actor, projectId: ProjectId, query: TaskListQuery) {
        yield* access.require(actor, projectId, "viewer")
        const after = query.cursor === null ? null : decodeCursor(query.cursor)
        if (query.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        const { limit, cursor: _cursor, ...filter } = query
        return toPage(yield* tasks.list({ projectId, ...filter }, { limit: limit + 1, after }), limit)
      }),

      update: Effect.fn("TaskService.update")(function* (actor: Actor, id: TaskIdT, input: UpdateTask) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { task } = yield* requireTask(actor, id, "editor")
            if (task.version !== input.version) return yield* stale(task, input.version)
            yield* checkAssignee(task.projectId, input.assigneeId)
            const now = yield* DateTime.now
            const next = new Task({
              ...task,
              title: input.title ?? task.title,
              description: input.description ?? task.description,
              priority: input.priority ?? task.priority,
              assigneeId: input.assigneeId === undefined ? task.assigneeId : input.assigneeId,
              labels: input.labels === undefined ? task.labels : [...new Set(input.labels)],
              dueAt: input.dueAt === undefined ? task.dueAt : input.dueAt,
              estimate: input.estimate === undefined ? task.estimate : input.estimate,
              version: task.version + 1,
              updatedAt: now
            })
            const changed = Object.keys(input).filter((k) => k !== "version")
            yield* save(next, task)
            yield* outbox.record(actor, [taskEvent(next, now, new TaskUpdatedV1({ projectId: next.projectId, changed }))])
            return next
          })
        )
      }),

      move: Effect.fn("TaskService.move")(function* (actor: Actor, id: TaskIdT, input: MoveTask) {
        let completed = false
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { task } = yield* requireTask(actor, id, "editor")
            if (task.version !== input.version) return yield* stale(task, input.version)
            const from = yield* columns.findById(task.columnId)
            const to =
              input.columnId === task.columnId
                ? yield* Effect.flatMap(columns.lock(input.columnId), (c) => (Option.isSome(c) ? Effect.succeed(c.value) : Effect.fail(NotFound.of("column", input.columnId))))
                : yield* lockWithRoom(task.projectId, input.columnId)
            const rank = yield* placeRank<TaskIdT>({
              after: yield* anchorIn(to.id, "afterId", input.afterId, id),
              before: yield* anchorIn(to.id, "beforeId", input.beforeId, id),
              position: input.position ?? "bottom",
              neighbour: (at, direction) => tasks.neighbourRank(to.id, at, direction, id),
              rebalance: rebalanceColumn(actor, task.projectId, to.id, id)
            })
            const now = yield* DateTime.now
            const next = new Task({
              ...task,
              columnId: to.id,
              rank,
              completedAt: completion(task, Option.getOrNull(from), to, now),
              version: task.version + 1,
              updatedAt: now
            })
            yield* save(next, task)
            yield* outbox.record(actor, [
              taskEvent(next, now, new TaskMovedV1({ projectId: next.projectId, fromColumnId: task.columnId, toColumnId: to.id, rank, completed: next.completedAt !== null }))
            ])
            completed = task.completedAt === null && next.completedAt !== null
            return next
          })
        ).pipe(Effect.tap(() => countTaskMoved(completed)))
      }),

      delete: Effect.fn("TaskService.delete")(function* (actor: Actor, id: TaskIdT) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            yield* requireTask(actor, id, "editor")
            // Of concurrent deletes one finds the row; the others are told it is gone, and record nothing.
            const deleted = yield* tasks.delete(id)
            if (Option.isNone(deleted)) return yield* NotFound.of("task", id)
            const task = deleted.value
            const now = yield* DateTime.now
            yield* outbox.record(actor, [taskEvent(task, now, new TaskDeletedV1({ projectId: task.projectId, number: task.number }))])
          })
        )
      })
    } as const
  })
}) {}
