import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { Board, BoardColumn } from "../api/BoardApi.js"
import { CurrentActor } from "../api/Security.js"
import { BoardService } from "../services/BoardService.js"
import { asActor, orInternal } from "./Errors.js"

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
      .handle("listColumns", ({ path }) => asActor((actor) => board.listColumns(actor, path.projectId)))
      .handle("createColumn", ({ path, payload }) =>
        asActor((actor) => board.createColumn(actor, path.projectId, payload))
      )
      .handle("reorderColumns", ({ path, payload }) =>
        asActor((actor) => board.reorderColumns(actor, path.projectId, payload))
      )
      .handle("updateColumn", ({ path, payload }) =>
        asActor((actor) => board.updateColumn(actor, path.projectId, path.columnId, payload))
      )
      .handle("deleteColumn", ({ path }) =>
        asActor((actor) => board.deleteColumn(actor, path.projectId, path.columnId))
      )
  })
)
