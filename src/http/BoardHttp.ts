import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { Board, BoardColumn } from "../api/BoardApi.js"
import { CurrentActor } from "../api/Security.js"
import { BoardService } from "../services/BoardService.js"
import { orInternal } from "./Errors.js"

export const BoardHttp = HttpApiBuilder.group(Api, "board", (handlers) =>
  Effect.gen(function* () {
    const board = yield* BoardService
    return handlers
      .handle("getBoard", ({ path }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => board.board(actor, path.projectId)),
          Effect.map(
            ({ project, columns }) =>
              new Board({
                project,
                columns: columns.map(({ column, tasks }) => new BoardColumn({ ...column, taskCount: tasks.length, tasks }))
              })
          ),
          orInternal
        )
      )
      .handle("listColumns", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => board.listColumns(actor, path.projectId)), orInternal))
      .handle("createColumn", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => board.createColumn(actor, path.projectId, payload)), orInternal)
      )
      .handle("reorderColumns", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => board.reorderColumns(actor, path.projectId, payload)), orInternal)
      )
      .handle("updateColumn", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => board.updateColumn(actor, path.projectId, path.columnId, payload)), orInternal)
      )
      .handle("deleteColumn", ({ path }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => board.deleteColumn(actor, path.projectId, path.columnId)), orInternal)
      )
  })
)
