import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { ColumnId, CommentId, ProjectId, TaskId, UserId, ApiKeyId } from "../domain/Ids.js"
import { strict } from "../domain/Model.js"
import { Text } from "../domain/Text.js"
import { Limit } from "../domain/Page.js"

export const projectId = HttpApiSchema.param("projectId", ProjectId)
export const taskId = HttpApiSchema.param("taskId", TaskId)
export const columnId = HttpApiSchema.param("columnId", ColumnId)
export const commentId = HttpApiSchema.param("commentId", CommentId)
export const userId = HttpApiSchema.param("userId", UserId)
export const keyId = HttpApiSchema.param("keyId", ApiKeyId)

export const PageParams = {
  limit: Schema.optional(Limit),
  cursor: Schema.optional(
    Text(200).pipe(Schema.pattern(/^[A-Za-z0-9_-]*$/, { message: () => "is not a valid cursor" })).annotations({
      description: "`nextCursor` of the previous page, as it came"
    })
  )
}

/** Query parameters: an unknown one is a 400 naming it, as for body fields. */
export const strictParams = <F extends Schema.Struct.Fields>(fields: F) => Schema.Struct(fields).annotations(strict)
