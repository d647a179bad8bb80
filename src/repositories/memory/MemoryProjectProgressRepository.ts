import { Array as Arr, DateTime, Effect, HashMap, Layer, Option } from "effect"
import { ColumnProgress } from "../../domain/Progress.js"
import { ProjectProgressRepository } from "../ProjectProgressRepository.js"
import { MemoryStore, ok } from "./MemoryStore.js"
import { byRankThenId, rowsOf } from "./Query.js"

export const MemoryProjectProgressRepository = Layer.effect(
  ProjectProgressRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return ProjectProgressRepository.of({
      // Units of work already run one at a time.
      lock: () => Effect.void,
      countByColumn: (projectId) =>
        store.read((t) => {
          const tasks = rowsOf(t.tasks).filter((task) => task.projectId === projectId)
          return Arr.sort(
            rowsOf(t.columns).filter((column) => column.projectId === projectId),
            byRankThenId
          ).map(
            (column) =>
              new ColumnProgress({
                columnId: column.id,
                name: column.name,
                isDone: column.isDone,
                tasks: tasks.filter((task) => task.columnId === column.id).length
              })
          )
        }),
      save: (counts) => store.write((t) => ok(undefined, { ...t, progress: HashMap.set(t.progress, counts.projectId, counts) })),
      find: (projectId) => store.read((t) => HashMap.get(t.progress, projectId)),
      delete: (projectId) => store.write((t) => ok(undefined, { ...t, progress: HashMap.remove(t.progress, projectId) })),
      countOverdue: (projectId, now) =>
        store.read(
          (t) =>
            rowsOf(t.tasks).filter(
              (task) =>
                task.projectId === projectId &&
                task.dueAt !== null &&
                DateTime.lessThan(task.dueAt, now) &&
                !Option.exists(HashMap.get(t.columns, task.columnId), (column) => column.isDone)
            ).length
        )
    })
  })
)
