import { Array as Arr, Effect, HashMap, Layer, Option } from "effect"
import { Column } from "../../domain/Model.js"
import { ColumnRepository } from "../ColumnRepository.js"
import { MemoryStore, ok, type Tables, violation } from "./MemoryStore.js"
import { byRankThenId, rewriteRanks, rowsOf } from "./Query.js"

const checkProject = (t: Tables, column: Column) =>
  HashMap.has(t.projects, column.projectId) ? Option.none() : Option.some("board_columns.project_id: no such project")

export const MemoryColumnRepository = Layer.effect(
  ColumnRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const findById = (id: string) => store.read((t) => HashMap.get(t.columns, id))

    return ColumnRepository.of({
      insert: (column) =>
        store.write((t) => {
          if (HashMap.has(t.columns, column.id)) return violation(`board_columns: duplicate id ${column.id}`)
          const fault = checkProject(t, column)
          if (Option.isSome(fault)) return violation(fault.value)
          return ok(undefined, { ...t, columns: HashMap.set(t.columns, column.id, column) })
        }),
      findById,
      // Units of work already run one at a time, so holding the row adds nothing.
      lock: findById,
      listByProject: (projectId) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.columns).filter((c) => c.projectId === projectId),
            byRankThenId
          )
        ),
      update: (column) =>
        store.write((t) => {
          if (!HashMap.has(t.columns, column.id)) return ok(undefined, t)
          const fault = checkProject(t, column)
          if (Option.isSome(fault)) return violation(fault.value)
          return ok(undefined, { ...t, columns: HashMap.set(t.columns, column.id, column) })
        }),
      // tasks.column_id has no ON DELETE action: a column must be emptied before it goes.
      delete: (id) =>
        store.write((t) =>
          rowsOf(t.tasks).some((task) => task.columnId === id)
            ? violation("tasks.column_id: the column still holds tasks")
            : ok(HashMap.has(t.columns, id), { ...t, columns: HashMap.remove(t.columns, id) })
        ),
      rewriteRanks: (projectId, ranks) =>
        store.write((t) => {
          const [count, columns] = rewriteRanks(
            t.columns,
            ranks,
            (column) => column.projectId === projectId,
            (column, rank) => new Column({ ...column, rank })
          )
          return ok(count, { ...t, columns })
        })
    })
  })
)
