import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Task } from "../../src/domain/Model.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { aColumn, givenBoard, givenTask } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

const anchorOf = (task: Task) => ({ rank: task.rank, id: task.id })

export const taskNeighbourContract = (it: ContractIt) =>
  describe("TaskRepository.neighbourRank", () => {
    it.effect("finds neighbours within a column in (rank, id) order, ties broken by id", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        // Created in this order, so m1.id < m2.id although both rank "m".
        const [l, m1, m2, n] = [
          yield* givenTask(board, { rank: "l" }), yield* givenTask(board, { rank: "m" }),
          yield* givenTask(board, { rank: "m" }), yield* givenTask(board, { rank: "n" })
        ]
        const other = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(other)
        yield* givenTask({ ...board, column: other }, { rank: "mm" })
        const next = (task: Task, exclude: Task | null = null) =>
          tasks.neighbourRank(board.column.id, anchorOf(task), "after", exclude?.id ?? null)
        const previous = (task: Task, exclude: Task | null = null) =>
          tasks.neighbourRank(board.column.id, anchorOf(task), "before", exclude?.id ?? null)

        expect(yield* next(m1)).toStrictEqual(Option.some("m"))
        expect(yield* next(m2)).toStrictEqual(Option.some("n"))
        expect(yield* next(m1, m2)).toStrictEqual(Option.some("n"))
        expect(yield* next(n)).toStrictEqual(Option.none())
        expect(yield* previous(m2)).toStrictEqual(Option.some("m"))
        expect(yield* previous(m1)).toStrictEqual(Option.some("l"))
        expect(yield* previous(m2, m1)).toStrictEqual(Option.some("l"))
        expect(yield* previous(l)).toStrictEqual(Option.none())
      }))

    it.effect("an anchor need not be a stored task: it is a position", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const [b, d] = [yield* givenTask(board, { rank: "b" }), yield* givenTask(board, { rank: "d" })]
        const between = { rank: "c", id: b.id }
        expect(yield* tasks.neighbourRank(board.column.id, between, "after", null)).toStrictEqual(Option.some(d.rank))
        expect(yield* tasks.neighbourRank(board.column.id, between, "before", null)).toStrictEqual(Option.some(b.rank))
      }))

    it.effect("without an anchor, gives the first (after) or the last (before) of the column", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const [first, , last] = [
          yield* givenTask(board, { rank: "B" }), yield* givenTask(board, { rank: "a" }), yield* givenTask(board, { rank: "c" })
        ]
        const edge = (direction: "after" | "before", exclude: Task | null) =>
          tasks.neighbourRank(board.column.id, null, direction, exclude?.id ?? null)
        expect(yield* edge("after", null)).toStrictEqual(Option.some("B"))
        expect(yield* edge("after", first)).toStrictEqual(Option.some("a"))
        expect(yield* edge("before", null)).toStrictEqual(Option.some("c"))
        expect(yield* edge("before", last)).toStrictEqual(Option.some("a"))
      }))

    it.effect("an empty column has no neighbours", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const { column } = yield* givenBoard()
        expect(yield* tasks.neighbourRank(column.id, null, "after", null)).toStrictEqual(Option.none())
        expect(yield* tasks.neighbourRank(column.id, null, "before", null)).toStrictEqual(Option.none())
      }))
  })
