import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Forbidden, NotFound, ValidationError, VersionConflict, WipLimitExceeded } from "../domain/Errors.js"
import { ColumnId, UserId } from "../domain/Ids.js"
import { Comment, Priority, Task } from "../domain/Model.js"
import { Page } from "../domain/Page.js"
import { Instant, Text } from "../domain/Text.js"
import { CreateComment, CreateTask, MoveTask, UpdateTask } from "../domain/Requests.js"
import { commentId, PageParams, projectId, strictParams, taskId } from "./Common.js"

export const TaskListParams = strictParams({
  ...PageParams,
  columnId: Schema.optional(ColumnId),
  assigneeId: Schema.optional(UserId),
  label: Schema.optional(Text(50)),
  priority: Schema.optional(Priority),
  dueBefore: Schema.optional(Instant),
  dueAfter: Schema.optional(Instant),
  q: Schema.optional(Text(200))
})

export class TasksApi extends HttpApiGroup.make("tasks")
  .add(
    HttpApiEndpoint.get("listTasks")`/projects/${projectId}/tasks`
      .setUrlParams(TaskListParams)
      .addSuccess(Page(Task))
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.post("createTask")`/projects/${projectId}/tasks`
      .setPayload(CreateTask)
      .addSuccess(Task, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .addError(WipLimitExceeded)
  )
  .add(HttpApiEndpoint.get("getTask")`/tasks/${taskId}`.addSuccess(Task).addError(NotFound))
  .add(
    HttpApiEndpoint.patch("updateTask")`/tasks/${taskId}`
      .setPayload(UpdateTask)
      .addSuccess(Task)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .addError(VersionConflict)
  )
  .add(HttpApiEndpoint.del("deleteTask")`/tasks/${taskId}`.addSuccess(HttpApiSchema.NoContent).addError(NotFound).addError(Forbidden))
  .add(
    HttpApiEndpoint.post("moveTask")`/tasks/${taskId}/move`
      .setPayload(MoveTask)
      .addSuccess(Task)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .addError(VersionConflict)
      .addError(WipLimitExceeded)
  )
  .add(
    HttpApiEndpoint.get("listComments")`/tasks/${taskId}/comments`
      .setUrlParams(strictParams(PageParams))
      .addSuccess(Page(Comment))
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.post("addComment")`/tasks/${taskId}/comments`
      .setPayload(CreateComment)
      .addSuccess(Comment, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
  )
  .add(
    HttpApiEndpoint.del("deleteComment")`/tasks/${taskId}/comments/${commentId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .addError(Forbidden)
  )
  .annotate(OpenApi.Title, "Tasks")
  .annotate(
    OpenApi.Description,
    "Tasks on a board. Updates and moves carry the `version` they read (409 when stale); moves and creates respect WIP limits (409)."
  ) {}
