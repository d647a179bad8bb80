import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { type TaskFilter, TaskRepository } from "../../src/repositories/TaskRepository.js"
import { allPages, ids } from "./Assertions.js"
import { aColumn, at, givenBoard, givenTask, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** One board whose four tasks each match a different mix of filters, plus a decoy project. */
const givenTasks = Effect.gen(function* () {
  const board = yield* givenBoard()
  const other = aColumn(board.project.id)
  yield* (yield* ColumnRepository).insert(other)
  const [ann, bob] = [yield* givenUser(), yield* givenUser()]
  const fix = yield* givenTask(board, {
    title: "Fix login", assigneeId: ann.id, labels: ["bug", "ui"], priority: "high", dueAt: at(1_000)
  })
  const docs = yield* givenTask({ ...board, column: other }, {
    title: "Write docs for 1000 users", description: "See the code for LOGIN", labels: ["ui"], priority: "low"
  })
  const cover = yield* givenTask(board, { title: "100% coverage", assigneeId: bob.id, priority: "high", dueAt: at(3_000) })
  const names = yield* givenTask({ ...board, column: other }, {
    title: "snake_case names", assigneeId: ann.id, labels: ["bugfix"], dueAt: at(2_000)
  })
  yield* givenTask(yield* givenBoard(), { title: "Fix login", labels: ["bug"], priority: "high", dueAt: at(1_000) })
  return { board, other, ann, bob, fix, docs, cover, names }
})

export const taskListContract = (it: ContractIt) =>
  describe("TaskRepository.list", () => {
    it.effect("applies each filter, and all of them together", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const { board, other, ann, bob, fix, docs, cover, names } = yield* givenTasks
        const list = (fields: Partial<TaskFilter> = {}) =>
          Effect.map(
            tasks.list({
              projectId: board.project.id, columnId: null, assigneeId: null, label: null, priority: null,
              dueBefore: null, dueAfter: null, search: null, ...fields
            }, { limit: 50, after: null }),
            ids
          )
        expect(yield* list()).toStrictEqual(ids([fix, docs, cover, names]))
        expect(yield* list({ columnId: board.column.id })).toStrictEqual(ids([fix, cover]))
        expect(yield* list({ columnId: other.id })).toStrictEqual(ids([docs, names]))
        expect(yield* list({ assigneeId: ann.id })).toStrictEqual(ids([fix, names]))
        expect(yield* list({ assigneeId: bob.id })).toStrictEqual(ids([cover]))
        expect(yield* list({ label: "ui" })).toStrictEqual(ids([fix, docs]))
        expect(yield* list({ label: "bug" })).toStrictEqual(ids([fix]))
        expect(yield* list({ label: "UI" })).toStrictEqual([])
        expect(yield* list({ priority: "high" })).toStrictEqual(ids([fix, cover]))
        expect(yield* list({ priority: "urgent" })).toStrictEqual([])
        // Both bounds are exclusive, and a task without a due date matches neither.
        expect(yield* list({ dueBefore: at(2_000) })).toStrictEqual(ids([fix]))
        expect(yield* list({ dueAfter: at(2_000) })).toStrictEqual(ids([cover]))
        expect(yield* list({ dueAfter: at(999), dueBefore: at(3_000) })).toStrictEqual(ids([fix, names]))
        expect(yield* list({ columnId: board.column.id, priority: "high", label: "bug", assigneeId: ann.id }))
          .toStrictEqual(ids([fix]))
      }))

    it.effect("searches title and description as a case-insensitive literal substring", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const { board, fix, docs, cover, names } = yield* givenTasks
        const search = (text: string) =>
          Effect.map(
            tasks.list({
              projectId: board.project.id, columnId: null, assigneeId: null, label: null, priority: null,
              dueBefore: null, dueAfter: null, search: text
            }, { limit: 50, after: null }),
            ids
          )
        expect(yield* search("LoGiN")).toStrictEqual(ids([fix, docs]))
        expect(yield* search("100%")).toStrictEqual(ids([cover]))
        expect(yield* search("e_c")).toStrictEqual(ids([names]))
        expect(yield* search("%")).toStrictEqual(ids([cover]))
        expect(yield* search("nothing like this")).toStrictEqual([])
      }))

    it.effect("pages through the matching tasks, each exactly once", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const created = []
        for (let i = 0; i < 5; i++) created.push(yield* givenTask(board, { labels: ["paged"] }))
        yield* givenTask(board)
        const pages = yield* allPages((page) =>
          tasks.list({
            projectId: board.project.id, columnId: null, assigneeId: null, label: "paged", priority: null,
            dueBefore: null, dueAfter: null, search: null
          }, page), 2)
        expect(pages.map((page) => page.length)).toStrictEqual([2, 2, 1])
        expect(pages.flatMap(ids)).toStrictEqual(ids(created))
      }))
  })
