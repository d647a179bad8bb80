import { Array as Arr, DateTime, Effect, HashMap, Layer, Option } from "effect"
import { Task } from "../../domain/Model.js"
import { type TaskFilter, TaskRepository } from "../TaskRepository.js"
import { memberKey, MemoryStore, ok, requireNextVersion, type Tables, violation } from "./MemoryStore.js"
import { byRankThenId, containsIgnoringCase, neighbourRank, pageAfter, ranksOf, rewriteRanks, rowsOf } from "./Query.js"

/** The constraints Postgres checks on every write of a task row. */
const constraintFault = (t: Tables, task: Task): Option.Option<string> => {
  const sameNumber = (other: Task) =>
    other.projectId === task.projectId && other.number === task.number && other.id !== task.id
  if (rowsOf(t.tasks).some(sameNumber)) {
    return Option.some("tasks: duplicate (project_id, number)")
  }
  if (!HashMap.has(t.projects, task.projectId)) return Option.some("tasks.project_id: no such project")
  if (!HashMap.has(t.columns, task.columnId)) return Option.some("tasks.column_id: no such column")
  if (task.assigneeId !== null && !HashMap.has(t.users, task.assigneeId)) {
    return Option.some("tasks.assignee_id: no such user")
  }
  if (!HashMap.has(t.users, task.createdBy)) return Option.some("tasks.created_by: no such user")
  return Option.none()
}

// Tasks without a due date match neither bound, as `due_at < $1` is not true for NULL.
const matches = (filter: TaskFilter) => (task: Task): boolean =>
  task.projectId === filter.projectId &&
  (filter.columnId === null || task.columnId === filter.columnId) &&
  (filter.assigneeId === null || task.assigneeId === filter.assigneeId) &&
  (filter.label === null || task.labels.includes(filter.label)) &&
  (filter.priority === null || task.priority === filter.priority) &&
  (filter.dueBefore === null || (task.dueAt !== null && DateTime.lessThan(task.dueAt, filter.dueBefore))) &&
  (filter.dueAfter === null || (task.dueAt !== null && DateTime.greaterThan(task.dueAt, filter.dueAfter))) &&
  (filter.search === null ||
    containsIgnoringCase(task.title, filter.search) ||
    containsIgnoringCase(task.description, filter.search))

export const MemoryTaskRepository = Layer.effect(
  TaskRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore

    return TaskRepository.of({
      insert: (task) =>
        store.write((t) => {
          if (HashMap.has(t.tasks, task.id)) return violation(`tasks: duplicate id ${task.id}`)
          const fault = constraintFault(t, task)
          if (Option.isSome(fault)) return violation(fault.value)
          return ok(undefined, { ...t, tasks: HashMap.set(t.tasks, task.id, task) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.tasks, id)),
      findAccess: (id, userId) =>
        store.read((t) =>
          Option.flatMap(HashMap.get(t.tasks, id), (task) =>
            Option.all({
              task: Option.some(task),
              project: Option.map(HashMap.get(t.projects, task.projectId), (row) => row.project),
              member: HashMap.get(t.members, memberKey(task.projectId, userId))
            })
          )
        ),
      update: (task, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("TaskRepository", task.version, expectedVersion),
          store.write((t) => {
            const stored = HashMap.get(t.tasks, task.id)
            if (Option.isNone(stored) || stored.value.version !== expectedVersion) return ok(false, t)
            const fault = constraintFault(t, task)
            if (Option.isSome(fault)) return violation(fault.value)
            return ok(true, { ...t, tasks: HashMap.set(t.tasks, task.id, task) })
          })
        ),
      // Units of work run one at a time here: holding a row is simply reading it.
      lockShared: (id) => store.read((t) => HashMap.get(t.tasks, id)),
      delete: (id) =>
        store.write((t) =>
          ok(HashMap.get(t.tasks, id), {
            ...t,
            tasks: HashMap.remove(t.tasks, id),
            comments: HashMap.filter(t.comments, (c) => c.taskId !== id),
            attachments: HashMap.filter(t.attachments, (a) => a.taskId !== id)
          })
        ),
      list: (filter, page) => store.read((t) => pageAfter(rowsOf(t.tasks).filter(matches(filter)), page)),
      listByProject: (projectId) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.tasks).filter((task) => task.projectId === projectId),
            byRankThenId
          )
        ),
      countInColumn: (columnId) => store.read((t) => rowsOf(t.tasks).filter((task) => task.columnId === columnId).length),
      neighbourRank: (columnId, anchor, direction, exclude) =>
        store.read((t) =>
          neighbourRank(
            rowsOf(t.tasks).filter((task) => task.columnId === columnId),
            anchor,
            direction,
            exclude
          )
        ),
      listRanks: (columnId) => store.read((t) => ranksOf(rowsOf(t.tasks).filter((task) => task.columnId === columnId))),
      rewriteRanks: (columnId, ranks) =>
        store.write((t) => {
          const [count, tasks] = rewriteRanks(
            t.tasks,
            ranks,
            (task) => task.columnId === columnId,
            (task, rank) => new Task({ ...task, rank, version: task.version + 1 })
          )
          return ok(count, { ...t, tasks })
        }),
      unassignAll: (projectId, userId, at) =>
        store.write((t) => {
          const changed = rowsOf(t.tasks)
            .filter((task) => task.projectId === projectId && task.assigneeId === userId)
            .map((task) => new Task({ ...task, assigneeId: null, version: task.version + 1, updatedAt: at }))
          return ok(changed, { ...t, tasks: changed.reduce((tasks, task) => HashMap.set(tasks, task.id, task), t.tasks) })
        })
    })
  })
)
