import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Actor } from "../../../src/domain/Actor.js"
import { ColumnId, newId, type ProjectId } from "../../../src/domain/Ids.js"
import * as Rank from "../../../src/domain/Rank.js"
import { CreateColumn, MoveTask, ReorderColumns, UpdateColumn } from "../../../src/domain/Requests.js"
import { ColumnRepository } from "../../../src/repositories/ColumnRepository.js"
import { BoardService } from "../../../src/services/BoardService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { aColumn } from "../../contract/Fixtures.js"
import { aMember, aProject, aTask, columnsByName, expectFailure, expectInvalid, fresh, recording, signUp, summary } from "./Fixtures.js"

const DEFAULTS = ["Backlog", "To do", "In progress", "Review", "Done"]

const columnNames = (actor: Actor, projectId: ProjectId) =>
  Effect.flatMap(BoardService, (board) => board.listColumns(actor, projectId)).pipe(Effect.map((columns) => columns.map((c) => c.name)))

/** A signed-in owner with a fresh project and a lookup of its columns by name. */
const ownerWithProject = Effect.gen(function* () {
  const owner = yield* signUp()
  const project = yield* aProject(owner.actor)
  const column = yield* columnsByName(owner.actor, project.id)
  return { owner, actor: owner.actor, project, column }
})

describe("BoardService", () => {
  describe("columns", () => {
    it.effect("lists a project's columns in board order, to members only", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const stranger = yield* signUp()
        expect(yield* columnNames(viewer.actor, project.id)).toEqual(DEFAULTS)
        yield* columnNames(stranger.actor, project.id).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )

    it.effect("adds a column at the end, or right after a given column", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const board = yield* BoardService
        const [blocked, events] = yield* recording(board.createColumn(actor, project.id, new CreateColumn({ name: "Blocked", wipLimit: 3, afterId: column("In progress") })))
        expect(blocked).toMatchObject({ name: "Blocked", wipLimit: 3, isDone: false, projectId: project.id })
        yield* board.createColumn(actor, project.id, new CreateColumn({ name: "Archive", isDone: true }))
        yield* board.createColumn(actor, project.id, new CreateColumn({ name: "Shipped", afterId: column("Done") }))
        expect(yield* columnNames(actor, project.id)).toEqual(["Backlog", "To do", "In progress", "Blocked", "Review", "Done", "Shipped", "Archive"])
        expect(events.map(summary)).toEqual([{ type: "column.created.v1", aggregateId: project.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toEqual({ columnId: blocked.id, name: "Blocked", wipLimit: 3, isDone: false })
      }).pipe(fresh)
    )

    it.effect("re-spreads the board's columns when a new column's key would be too long, keeping their order", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const board = yield* BoardService
        // Two neighbours whose keys leave no room within the bound (a board of 50 columns cannot
        // get there by itself; keys written before the bound can).
        const columns = yield* ColumnRepository
        const long = "V".repeat(Rank.MAX_LENGTH - 1)
        const [left, right] = [aColumn(project.id, { name: "Left", rank: `${long}1` }), aColumn(project.id, { name: "Right", rank: `${long}2` })]
        yield* columns.insert(left)
        yield* columns.insert(right)
        const [created, events] = yield* recording(board.createColumn(actor, project.id, new CreateColumn({ name: "Between", afterId: left.id })))
        const listed = yield* board.listColumns(actor, project.id)
        expect(listed.map((c) => c.name)).toEqual(["Backlog", "To do", "In progress", "Left", "Between", "Right", "Review", "Done"])
        expect(listed.map((c) => c.rank)).toEqual(Rank.spread(8))
        expect(created.rank).toBe(Rank.spread(8)[4])
        // Column events carry no rank: a re-spread records nothing of its own.
        expect(events.map(summary)).toEqual([{ type: "column.created.v1", aggregateId: project.id, aggregateVersion: 1 }])
      }).pipe(fresh)
    )

    it.effect("rejects an afterId that is not a column of this project", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const other = yield* aProject(actor)
        const foreign = (yield* columnsByName(actor, other.id))("To do")
        const board = yield* BoardService
        for (const afterId of [foreign, newId(ColumnId)]) {
          const [, events] = yield* recording(board.createColumn(actor, project.id, new CreateColumn({ name: "X", afterId })).pipe(expectInvalid("afterId")))
          expect(events).toEqual([])
        }
        expect(yield* columnNames(actor, project.id)).toEqual(DEFAULTS)
      }).pipe(fresh)
    )

    it.effect("caps a board at 50 columns", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const board = yield* BoardService
        for (let i = DEFAULTS.length; i < 50; i++) yield* board.createColumn(actor, project.id, new CreateColumn({ name: `C${i}` }))
        yield* board.createColumn(actor, project.id, new CreateColumn({ name: "One too many" })).pipe(expectFailure("Conflict"))
        expect(yield* columnNames(actor, project.id)).toHaveLength(50)
      }).pipe(fresh)
    )

    it.effect("renames, limits and marks a column done, keeping what is not sent", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const board = yield* BoardService
        const [renamed, events] = yield* recording(board.updateColumn(actor, project.id, column("Review"), new UpdateColumn({ name: "QA", wipLimit: 2 })))
        expect(renamed).toMatchObject({ id: column("Review"), name: "QA", wipLimit: 2, isDone: false })
        expect(events.map(summary)).toEqual([{ type: "column.updated.v1", aggregateId: project.id, aggregateVersion: 1 }])
        const done = yield* board.updateColumn(actor, project.id, column("Review"), new UpdateColumn({ isDone: true }))
        expect(done).toMatchObject({ name: "QA", wipLimit: 2, isDone: true })
        const unlimited = yield* board.updateColumn(actor, project.id, column("Review"), new UpdateColumn({ wipLimit: null }))
        expect(unlimited).toMatchObject({ name: "QA", wipLimit: null, isDone: true })
        expect((yield* board.listColumns(actor, project.id))[3]).toEqual(unlimited)
      }).pipe(fresh)
    )

    it.effect("answers NotFound for a column of another project, and Forbidden to viewers", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const other = yield* aProject(actor)
        const foreign = (yield* columnsByName(actor, other.id))("To do")
        const viewer = yield* aMember(actor, project, "viewer")
        const board = yield* BoardService
        const own = (yield* columnsByName(actor, project.id))("To do")
        const [, events] = yield* recording(
          Effect.all([
            board.updateColumn(actor, project.id, foreign, new UpdateColumn({ name: "Stolen" })).pipe(expectFailure("NotFound")),
            board.deleteColumn(actor, project.id, foreign).pipe(expectFailure("NotFound")),
            board.deleteColumn(actor, project.id, newId(ColumnId)).pipe(expectFailure("NotFound")),
            board.createColumn(viewer.actor, project.id, new CreateColumn({ name: "Mine" })).pipe(expectFailure("Forbidden")),
            board.updateColumn(viewer.actor, project.id, own, new UpdateColumn({ name: "Mine" })).pipe(expectFailure("Forbidden")),
            board.deleteColumn(viewer.actor, project.id, own).pipe(expectFailure("Forbidden")),
            board.reorderColumns(viewer.actor, project.id, new ReorderColumns({ columnIds: [own] })).pipe(expectFailure("Forbidden"))
          ])
        )
        expect(events).toEqual([])
        expect(yield* columnNames(actor, other.id)).toEqual(DEFAULTS)
      }).pipe(fresh)
    )
  })

  describe("reorderColumns", () => {
    it.effect("puts the columns in the order given", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const board = yield* BoardService
        const order = ["Done", "Review", "Backlog", "In progress", "To do"]
        const [reordered, events] = yield* recording(board.reorderColumns(actor, project.id, new ReorderColumns({ columnIds: order.map(column) })))
        expect(reordered.map((c) => c.name)).toEqual(order)
        expect(yield* columnNames(actor, project.id)).toEqual(order)
        expect(events.map(summary)).toEqual([{ type: "columns.reordered.v1", aggregateId: project.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toEqual({ columnIds: order.map(column) })
      }).pipe(fresh)
    )

    it.effect("must list every column exactly once", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const other = yield* aProject(actor)
        const foreign = (yield* columnsByName(actor, other.id))("Done")
        const board = yield* BoardService
        const ids = DEFAULTS.map(column)
        const wrong = [
          ids.slice(1),
          [...ids, ids[0]!],
          [ids[0]!, ...ids.slice(0, 4)],
          [...ids.slice(0, 4), foreign],
          [...ids, foreign]
        ]
        for (const columnIds of wrong) {
          const [, events] = yield* recording(board.reorderColumns(actor, project.id, new ReorderColumns({ columnIds })).pipe(expectInvalid("columnIds")))
          expect(events).toEqual([])
        }
        expect(yield* columnNames(actor, project.id)).toEqual(DEFAULTS)
      }).pipe(fresh)
    )
  })

  describe("deleteColumn", () => {
    it.effect("deletes an empty column, but not one that holds tasks", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const task = yield* aTask(actor, project.id, { columnId: column("Review") })
        const board = yield* BoardService
        const [error, refused] = yield* recording(board.deleteColumn(actor, project.id, column("Review")).pipe(expectFailure("Conflict")))
        expect(error.message).toContain("Review")
        expect(refused).toEqual([])
        expect(yield* columnNames(actor, project.id)).toEqual(DEFAULTS)

        yield* Effect.flatMap(TaskService, (tasks) => tasks.move(actor, task.id, new MoveTask({ version: 1, columnId: column("Done") })))
        const [, events] = yield* recording(board.deleteColumn(actor, project.id, column("Review")))
        expect(events.map(summary)).toEqual([{ type: "column.deleted.v1", aggregateId: project.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toMatchObject({ columnId: column("Review"), name: "Review" })
        expect(yield* columnNames(actor, project.id)).toEqual(["Backlog", "To do", "In progress", "Done"])
      }).pipe(fresh)
    )

    it.effect("never deletes the last column", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const board = yield* BoardService
        for (const name of DEFAULTS.slice(0, 4)) yield* board.deleteColumn(actor, project.id, column(name))
        const [, events] = yield* recording(board.deleteColumn(actor, project.id, column("Done")).pipe(expectFailure("Conflict")))
        expect(events).toEqual([])
        expect(yield* columnNames(actor, project.id)).toEqual(["Done"])
      }).pipe(fresh)
    )
  })

  describe("board", () => {
    it.effect("groups the project's tasks by column, each column in rank order", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const stranger = yield* signUp()
        yield* aTask(actor, project.id, { title: "B1" })
        yield* aTask(actor, project.id, { title: "P1", columnId: column("In progress") })
        yield* aTask(actor, project.id, { title: "B2" })
        yield* aTask(actor, project.id, { title: "B0", position: "top" })
        yield* aTask(actor, project.id, { title: "D1", columnId: column("Done") })
        yield* aTask(actor, project.id, { title: "P0", columnId: column("In progress"), position: "top" })
        // Another project's tasks stay on their own board.
        yield* aTask(actor, (yield* aProject(actor)).id, { title: "Elsewhere" })

        const view = yield* Effect.flatMap(BoardService, (board) => board.board(viewer.actor, project.id))
        expect(view.project.id).toBe(project.id)
        expect(view.columns.map((c) => [c.column.name, c.tasks.map((t) => t.title)])).toEqual([
          ["Backlog", ["B0", "B1", "B2"]],
          ["To do", []],
          ["In progress", ["P0", "P1"]],
          ["Review", []],
          ["Done", ["D1"]]
        ])
        yield* Effect.flatMap(BoardService, (board) => board.board(stranger.actor, project.id)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )
  })
})
