import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { Column, Project, Task } from "../../src/domain/Model.js"
import * as Rank from "../../src/domain/Rank.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { expectSome, ids } from "./Assertions.js"
import { aColumn, aProject, givenBoard, givenProject, givenTask, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** `n` keys of `Rank.MAX_LENGTH` characters in increasing order: a list that needs a rebalance. */
const longKeys = (n: number): ReadonlyArray<string> =>
  Rank.spread(n).map((key) => "V".repeat(Rank.MAX_LENGTH - 2) + key.padStart(2, "1"))

/** A list's places given fresh keys in their current order: what a rebalance writes. */
const respread = <Id>(places: ReadonlyArray<Rank.Ranked<Id>>) => {
  const keys = Rank.spread(places.length)
  return places.map((place, i) => ({ id: place.id, rank: keys[i]! }))
}

export const rebalanceContract = (it: ContractIt) =>
  describe("rebalancing: listRanks and rewriteRanks", () => {
    it.effect("a column's tasks are listed in (rank, id) order, and only that column's", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        // Created in this order, so tieLow.id < tieHigh.id although both rank "m".
        const [tieLow, tieHigh, last, first] = [
          yield* givenTask(board, { rank: "m" }), yield* givenTask(board, { rank: "m" }),
          yield* givenTask(board, { rank: "z" }), yield* givenTask(board, { rank: "B" })
        ]
        const other = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(other)
        yield* givenTask({ ...board, column: other }, { rank: "n" })
        expect(yield* tasks.listRanks(board.column.id)).toStrictEqual(
          [first, tieLow, tieHigh, last].map((task) => ({ id: task.id, rank: task.rank }))
        )
        expect(yield* tasks.listRanks(aColumn(board.project.id).id)).toStrictEqual([])
      }))

    it.effect("rebalances a column of 60 tasks in one statement: same order, short keys, versions bumped, nothing else changed", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const keys = longKeys(60)
        const inserted: Array<Task> = []
        // Two tasks share a key, so the id decides between them, before and after.
        for (const rank of [...keys, keys[30]!]) inserted.push(yield* givenTask(board, { rank }))
        const other = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(other)
        const elsewhere = yield* givenTask({ ...board, column: other }, { rank: keys[0]! })

        const before = yield* tasks.listRanks(board.column.id)
        const fresh = respread(before)
        expect(yield* tasks.rewriteRanks(board.column.id, fresh)).toBe(61)

        const after = yield* tasks.listRanks(board.column.id)
        expect(after).toStrictEqual(fresh)
        // More than 30 keys need two characters each (Rank.spread).
        expect(Math.max(...after.map((place) => place.rank.length))).toBe(2)
        const sample = inserted[30]!
        const rank = fresh.find((place) => place.id === sample.id)!.rank
        expectSome(Task, yield* tasks.findById(sample.id), new Task({ ...sample, rank, version: sample.version + 1 }))
        expectSome(Task, yield* tasks.findById(elsewhere.id), elsewhere)
      }))

    it.effect("leaves alone a listed task that is no longer in the column, and answers how many it rewrote", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const [stays, moved] = [yield* givenTask(board, { rank: "a" }), yield* givenTask(board, { rank: "b" })]
        const other = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(other)
        const away = new Task({ ...moved, columnId: other.id, rank: "q", version: 2 })
        expect(yield* tasks.update(away, 1)).toBe(true)
        const count = yield* tasks.rewriteRanks(board.column.id, [{ id: stays.id, rank: "L" }, { id: moved.id, rank: "f" }])
        expect(count).toBe(1)
        expectSome(Task, yield* tasks.findById(moved.id), away)
        expectSome(Task, yield* tasks.findById(stays.id), new Task({ ...stays, rank: "L", version: 2 }))
        expect(yield* tasks.rewriteRanks(board.column.id, [])).toBe(0)
      }))

    it.effect("rebalances the projects of a status: same order, versions bumped; other statuses untouched", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const owner = yield* givenUser()
        // Projects are ranked across every user, so only these projects' places are asserted.
        const mine: Array<Project> = []
        for (const rank of longKeys(5)) {
          const project = aProject(owner.id, { status: "completed", rank })
          yield* projects.insert(project)
          mine.push(project)
        }
        const archived = aProject(owner.id, { status: "archived", rank: longKeys(1)[0]! })
        yield* projects.insert(archived)
        const mineIds = new Set<string>(ids(mine))
        const ours = <Id extends string>(places: ReadonlyArray<Rank.Ranked<Id>>) => places.filter((place) => mineIds.has(place.id))

        const before = ours(yield* projects.listRanks("completed"))
        expect(ids(before)).toStrictEqual(ids(mine))
        const fresh = respread(before)
        // The archived project is listed, but not in the status: left alone.
        expect(yield* projects.rewriteRanks("completed", [...fresh, { id: archived.id, rank: "a" }])).toBe(5)
        expect(ours(yield* projects.listRanks("completed"))).toStrictEqual(fresh)
        expectSome(Project, yield* projects.findById(mine[2]!.id), new Project({ ...mine[2]!, rank: fresh[2]!.rank, version: 2 }))
        expectSome(Project, yield* projects.findById(archived.id), archived)
      }))

    it.effect("re-spreads a board's columns; other boards' columns are left alone", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { project } = yield* givenProject()
        const board = longKeys(4).map((rank) => aColumn(project.id, { rank }))
        for (const column of board) yield* columns.insert(column)
        const foreign = aColumn((yield* givenProject()).project.id, { rank: "c" })
        yield* columns.insert(foreign)

        const fresh = respread(yield* columns.listByProject(project.id))
        expect(yield* columns.rewriteRanks(project.id, [...fresh, { id: foreign.id, rank: "d" }])).toBe(4)
        const after = yield* columns.listByProject(project.id)
        expect(after.map((c) => ({ id: c.id, rank: c.rank }))).toStrictEqual(fresh)
        expect(ids(after)).toStrictEqual(ids(board))
        expectSome(Column, yield* columns.findById(board[1]!.id), new Column({ ...board[1]!, rank: fresh[1]!.rank }))
        expectSome(Column, yield* columns.findById(foreign.id), foreign)
      }))
  })
