import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { EventId, newId } from "../../src/domain/Ids.js"
import { ColumnProgress, ProgressCounts } from "../../src/domain/Progress.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { ProjectProgressRepository } from "../../src/repositories/ProjectProgressRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { expectNone, expectSome } from "./Assertions.js"
import { aColumn, at, givenBoard, givenTask } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** A board of three columns in rank order (the last one done) holding tasks with due dates around `at(1_000)`. */
const givenBoardWithTasks = Effect.gen(function* () {
  const board = yield* givenBoard()
  const columns = yield* ColumnRepository
  const first = board.column
  const done = aColumn(board.project.id, { name: "Done", rank: "z", isDone: true })
  const empty = aColumn(board.project.id, { name: "Empty", rank: "x" })
  yield* columns.insert(done)
  yield* columns.insert(empty)
  yield* givenTask(board, { dueAt: at(500) })
  yield* givenTask(board, { dueAt: at(1_500) })
  yield* givenTask(board)
  yield* givenTask({ ...board, column: done }, { dueAt: at(500) })
  return { board, first, done, empty }
})

export const projectProgressContract = (it: ContractIt) =>
  describe("ProjectProgressRepository", () => {
    it.effect("counts the tasks of every column of the project, in board order", () =>
      Effect.gen(function* () {
        const progress = yield* ProjectProgressRepository
        const { board, done, empty, first } = yield* givenBoardWithTasks
        yield* givenTask(yield* givenBoard())
        const counted = yield* progress.countByColumn(board.project.id)
        expect(counted.map((c) => ({ ...c }))).toStrictEqual([
          { columnId: first.id, name: first.name, isDone: false, tasks: 3 },
          { columnId: empty.id, name: "Empty", isDone: false, tasks: 0 },
          { columnId: done.id, name: "Done", isDone: true, tasks: 1 }
        ])
      }))

    it.effect("counts overdue tasks: due strictly before now and not in a done column", () =>
      Effect.gen(function* () {
        const progress = yield* ProjectProgressRepository
        const { board } = yield* givenBoardWithTasks
        expect(yield* progress.countOverdue(board.project.id, at(500))).toBe(0)
        expect(yield* progress.countOverdue(board.project.id, at(501))).toBe(1)
        expect(yield* progress.countOverdue(board.project.id, at(2_000))).toBe(2)
      }))

    it.effect("saves, replaces, finds and deletes a project's counts, under the project's lock", () =>
      Effect.gen(function* () {
        const progress = yield* ProjectProgressRepository
        const { transaction } = yield* Transactor
        const board = yield* givenBoard()
        const counts = (tasks: number, lastEventId: string | null) =>
          new ProgressCounts({
            projectId: board.project.id,
            columns: [new ColumnProgress({ columnId: board.column.id, name: "To do", isDone: false, tasks })],
            updatedAt: at(tasks),
            lastEventId
          })
        expectNone(yield* progress.find(board.project.id))
        yield* transaction(Effect.zipRight(progress.lock(board.project.id), progress.save(counts(1, null))))
        const second = counts(2, newId(EventId))
        yield* transaction(Effect.zipRight(progress.lock(board.project.id), progress.save(second)))
        expectSome(ProgressCounts, yield* progress.find(board.project.id), second)
        yield* progress.delete(board.project.id)
        expect(Option.isNone(yield* progress.find(board.project.id))).toBe(true)
      }))
  })
