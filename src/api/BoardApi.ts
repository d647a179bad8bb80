import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Conflict, Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { Column, Project, Task } from "../domain/Model.js"
import { CreateColumn, ReorderColumns, UpdateColumn } from "../domain/Requests.js"
import { columnId, projectId } from "./Common.js"

export class BoardColumn extends Schema.Class<BoardColumn>("BoardColumn")({
  ...Column.fields,
  taskCount: Schema.Int,
  tasks: Schema.Array(Task)
}) {}

export class Board extends Schema.Class<Board>("Board")({ project: Project, columns: Schema.Array(BoardColumn) }) {}

export class BoardApi extends HttpApiGroup.make("board")
  .add(HttpApiEndpoint.get("getBoard")`/projects/${projectId}/board`.addSuccess(Board).addError(NotFound))
  .add(HttpApiEndpoint.get("listColumns")`/projects/${projectId}/columns`.addSuccess(Schema.Array(Column)).addError(NotFound))
  .add(
    HttpApiEndpoint.post("createColumn")`/projects/${projectId}/columns`
      .setPayload(CreateColumn)
      .addSuccess(Column, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(Conflict)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.put("reorderColumns")`/projects/${projectId}/columns`
      .setPayload(ReorderColumns)
      .addSuccess(Schema.Array(Column))
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.patch("updateColumn")`/projects/${projectId}/columns/${columnId}`
      .setPayload(UpdateColumn)
      .addSuccess(Column)
      .addError(NotFound)
      .addError(Forbidden)
  )
  .add(
    HttpApiEndpoint.del("deleteColumn")`/projects/${projectId}/columns/${columnId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(Conflict)
  )
  .annotate(OpenApi.Title, "Board")
  .annotate(OpenApi.Description, "A project's columns (with WIP limits and done flags) and the board view: columns with their ordered tasks.") {}
