import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CachedViews } from "../cache/CachedViews.js"
import { BoardService } from "../services/BoardService.js"
import { asActor } from "./Errors.js"
import { jsonBody } from "./JsonBody.js"

export const BoardHttp = HttpApiBuilder.group(Api, "board", (handlers) =>
  Effect.gen(function* () {
    const board = yield* BoardService
    const views = yield* CachedViews
    return handlers
      .handle("getBoard", ({ path }) => jsonBody(asActor((actor) => views.board(actor, path.projectId))))
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
