import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Conflict, Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { ColumnId, CommentId, ProjectId, TaskId, UserId, ApiKeyId } from "../domain/Ids.js"
import { Limit } from "../domain/Page.js"

export const projectId = HttpApiSchema.param("projectId", ProjectId)
export const taskId = HttpApiSchema.param("taskId", TaskId)
export const columnId = HttpApiSchema.param("columnId", ColumnId)
export const commentId = HttpApiSchema.param("commentId", CommentId)
export const userId = HttpApiSchema.param("userId", UserId)
export const keyId = HttpApiSchema.param("keyId", ApiKeyId)

export const PageParams = {
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200)))
}

/** The errors any authenticated, project-scoped operation can answer with. */
export const scopedErrors = [ValidationError, NotFound, Forbidden, Conflict] as const
