import { DateTime, Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Conflict, NotFound, ValidationError } from "../domain/Errors.js"
import { ColumnCreatedV1, ColumnDeletedV1, ColumnsReorderedV1, ColumnUpdatedV1, makeEvent } from "../domain/DomainEvents.js"
import { ColumnId, newId, type ColumnId as ColumnIdT, type ProjectId } from "../domain/Ids.js"
import { Column, type Project, type Task } from "../domain/Model.js"
import * as Rank from "../domain/Rank.js"
import type { CreateColumn, ReorderColumns, UpdateColumn } from "../domain/Requests.js"
import { Outbox } from "../events/Outbox.js"
import { ColumnRepository } from "../repositories/ColumnRepository.js"
import { TaskRepository } from "../repositories/TaskRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { keepShort } from "./Placement.js"
import { ProjectAccess } from "./ProjectAccess.js"

export interface BoardColumn {
  readonly column: Column
  readonly tasks: ReadonlyArray<Task>
}

export interface Board {
  readonly project: Project
  readonly columns: ReadonlyArray<BoardColumn>
}

const projectAggregate = (project: Project) => ({ type: "project", id: project.id, version: project.version }) as const

const columnEvent = (Payload: typeof ColumnCreatedV1 | typeof ColumnUpdatedV1 | typeof ColumnDeletedV1, project: Project, column: Column, now: DateTime.Utc) =>
  makeEvent(projectAggregate(project), now, new Payload({ columnId: column.id, name: column.name, wipLimit: column.wipLimit, isDone: column.isDone }))

/**
 * Columns of a project's board, and the board view itself. Changes to the set of columns
 * (create, reorder, delete) hold the project row (`noKeyUpdate`) and so take turns: their rules
 * read the whole board (at most 50 columns, at least one, every column listed once).
 */
export class BoardService extends Effect.Service<BoardService>()("flowboard/BoardService", {
  effect: Effect.gen(function* () {
    const columns = yield* ColumnRepository
    const tasks = yield* TaskRepository
    const tx = yield* Transactor
    const outbox = yield* Outbox
    const access = yield* ProjectAccess

    /**
     * The column, locked until the unit ends: two partial updates of it take turns instead of each
     * writing back the other's fields as it read them.
     */
    const lockColumn = (projectId: ProjectId, id: ColumnIdT) =>
      Effect.flatMap(columns.lock(id), (column) =>
        Option.isSome(column) && column.value.projectId === projectId ? Effect.succeed(column.value) : Effect.fail(NotFound.of("column", id))
      )

    /** The board of a project whose access is already checked (the read cache's loader). */
    const boardOf = (project: Project) =>
      Effect.map(Effect.all([columns.listByProject(project.id), tasks.listByProject(project.id)]), ([cols, all]): Board => {
        const byColumn = new Map<string, Array<Task>>(cols.map((c) => [c.id, []]))
        for (const task of all) byColumn.get(task.columnId)?.push(task)
        return { project, columns: cols.map((column) => ({ column, tasks: byColumn.get(column.id) ?? [] })) }
      })

    return {
      listColumns: Effect.fn("BoardService.listColumns")(function* (actor: Actor, projectId: ProjectId) {
        yield* access.require(actor, projectId, "viewer")
        return yield* columns.listByProject(projectId)
      }),

      board: Effect.fn("BoardService.board")(function* (actor: Actor, projectId: ProjectId) {
        const { project } = yield* access.require(actor, projectId, "viewer")
        return yield* boardOf(project)
      }),

      boardOf,

      createColumn: Effect.fn("BoardService.createColumn")(function* (actor: Actor, projectId: ProjectId, input: CreateColumn) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { project } = yield* access.require(actor, projectId, "editor", "noKeyUpdate")
            const existing = yield* columns.listByProject(projectId)
            if (existing.length >= 50) return yield* new Conflict({ message: "a board has at most 50 columns" })
            let rank: string
            if (input.afterId === undefined) {
              rank = Rank.between(existing.at(-1)?.rank ?? null, null)
            } else {
              const index = existing.findIndex((c) => c.id === input.afterId)
              if (index < 0) return yield* ValidationError.field("afterId", "no such column in this project")
              rank = Rank.between(existing[index]!.rank, existing[index + 1]?.rank ?? null)
            }
            // Too long a key re-spreads the board's columns. Column events carry no rank, so none is recorded for it.
            const id = newId(ColumnId)
            rank = yield* keepShort<ColumnIdT>({
              id,
              others: Effect.succeed(existing),
              rewrite: (others) => Effect.asVoid(columns.rewriteRanks(projectId, others))
            })(rank)
            const now = yield* DateTime.now
            const column = new Column({ id, projectId, name: input.name, rank, wipLimit: input.wipLimit, isDone: input.isDone, createdAt: now, updatedAt: now })
            yield* columns.insert(column)
            yield* outbox.record(actor, [columnEvent(ColumnCreatedV1, project, column, now)])
            return column
          })
        )
      }),

      updateColumn: Effect.fn("BoardService.updateColumn")(function* (actor: Actor, projectId: ProjectId, id: ColumnIdT, input: UpdateColumn) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { project } = yield* access.require(actor, projectId, "editor")
            const column = yield* lockColumn(projectId, id)
            const now = yield* DateTime.now
            const next = new Column({
              ...column,
              name: input.name ?? column.name,
              wipLimit: input.wipLimit === undefined ? column.wipLimit : input.wipLimit,
              isDone: input.isDone ?? column.isDone,
              updatedAt: now
            })
            yield* columns.update(next)
            yield* outbox.record(actor, [columnEvent(ColumnUpdatedV1, project, next, now)])
            return next
          })
        )
      }),

      reorderColumns: Effect.fn("BoardService.reorderColumns")(function* (actor: Actor, projectId: ProjectId, input: ReorderColumns) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { project } = yield* access.require(actor, projectId, "editor", "noKeyUpdate")
            const existing = yield* columns.listByProject(projectId)
            const wanted = new Set(input.columnIds)
            if (wanted.size !== input.columnIds.length || wanted.size !== existing.length || existing.some((c) => !wanted.has(c.id))) {
              return yield* ValidationError.field("columnIds", "must list every column of the project exactly once")
            }
            const now = yield* DateTime.now
            const ranks = Rank.spread(existing.length)
            const byId = new Map(existing.map((c) => [c.id, c]))
            const reordered = input.columnIds.map((cid, i) => new Column({ ...byId.get(cid)!, rank: ranks[i]!, updatedAt: now }))
            yield* Effect.forEach(reordered, columns.update, { discard: true })
            yield* outbox.record(actor, [
              makeEvent(projectAggregate(project), now, new ColumnsReorderedV1({ columnIds: input.columnIds }))
            ])
            return reordered
          })
        )
      }),

      deleteColumn: Effect.fn("BoardService.deleteColumn")(function* (actor: Actor, projectId: ProjectId, id: ColumnIdT) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { project } = yield* access.require(actor, projectId, "editor", "noKeyUpdate")
            const column = yield* lockColumn(projectId, id)
            if ((yield* tasks.countInColumn(id)) > 0) return yield* new Conflict({ message: `column ${column.name} still holds tasks: move them first` })
            if ((yield* columns.listByProject(projectId)).length <= 1) return yield* new Conflict({ message: "a board keeps at least one column" })
            const now = yield* DateTime.now
            if (!(yield* columns.delete(id))) return yield* NotFound.of("column", id)
            yield* outbox.record(actor, [columnEvent(ColumnDeletedV1, project, column, now)])
          })
        )
      })
    } as const
  })
}) {}
