import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { Column } from "../../src/domain/Model.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { expectNone, expectSome, failureTag, ids } from "./Assertions.js"
import { aColumn, aProject, aUser, at, givenBoard, givenProject, givenTask } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const columnContract = (it: ContractIt) =>
  describe("ColumnRepository", () => {
    it.effect("stores a column and finds it by id", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { project } = yield* givenProject()
        const limited = aColumn(project.id, { name: "Doing", wipLimit: 3, createdAt: at(5), updatedAt: at(6) })
        const done = aColumn(project.id, { name: "Done", isDone: true })
        yield* columns.insert(limited)
        yield* columns.insert(done)
        expectSome(Column, yield* columns.findById(limited.id), limited)
        expectSome(Column, yield* columns.findById(done.id), done)
        expectNone(yield* columns.findById(aColumn(project.id).id))
      }))

    it.effect("lock returns the column inside a unit of work", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { transaction } = yield* Transactor
        const { column, project } = yield* givenBoard()
        expectSome(Column, yield* transaction(columns.lock(column.id)), column)
        expectNone(yield* transaction(columns.lock(aColumn(project.id).id)))
      }))

    it.effect("lists a project's columns in (rank, id) order", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { project } = yield* givenProject()
        // Created in order, so tieLow.id < tieHigh.id; "Z" < "a" in byte order.
        const [tieLow, tieHigh, upper, lower] = [
          aColumn(project.id, { rank: "b" }), aColumn(project.id, { rank: "b" }),
          aColumn(project.id, { rank: "Z" }), aColumn(project.id, { rank: "a" })
        ]
        for (const column of [tieHigh, lower, tieLow, upper]) yield* columns.insert(column)
        yield* columns.insert(aColumn((yield* givenProject()).project.id, { rank: "0" }))
        expect(ids(yield* columns.listByProject(project.id))).toStrictEqual([upper.id, lower.id, tieLow.id, tieHigh.id])
      }))

    it.effect("update writes the column's fields", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { column } = yield* givenBoard()
        const changed = new Column({ ...column, name: "Review", rank: "k", wipLimit: 2, isDone: true, updatedAt: at(90) })
        yield* columns.update(changed)
        expectSome(Column, yield* columns.findById(column.id), changed)
        yield* columns.update(new Column({ ...changed, wipLimit: null }))
        expectSome(Column, yield* columns.findById(column.id), new Column({ ...changed, wipLimit: null }))
      }))

    it.effect("deletes an empty column", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { column, project } = yield* givenBoard()
        yield* columns.delete(column.id)
        expectNone(yield* columns.findById(column.id))
        expect(yield* columns.listByProject(project.id)).toStrictEqual([])
      }))

    it.effect("deleting a column that still holds tasks is a fault and keeps it", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const board = yield* givenBoard()
        yield* givenTask(board)
        expect(yield* failureTag(columns.delete(board.column.id))).toBe("RepositoryError")
        expectSome(Column, yield* columns.findById(board.column.id), board.column)
      }))

    it.effect("a column of an unknown project is a fault", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const column = aColumn(aProject(aUser().id).id)
        expect(yield* failureTag(columns.insert(column))).toBe("RepositoryError")
        expectNone(yield* columns.findById(column.id))
      }))
  })
