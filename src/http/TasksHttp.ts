import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CachedViews } from "../cache/CachedViews.js"
import { CurrentActor } from "../api/Security.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { CommentService } from "../services/CommentService.js"
import { TaskService } from "../services/TaskService.js"
import { asActor, orInternal } from "./Errors.js"
import { jsonBody } from "./JsonBody.js"

export const TasksHttp = HttpApiBuilder.group(Api, "tasks", (handlers) =>
  Effect.gen(function* () {
    const tasks = yield* TaskService
    const views = yield* CachedViews
    const comments = yield* CommentService
    return handlers
      .handle("listTasks", ({ path, urlParams: p }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) =>
            tasks.list(actor, path.projectId, {
              columnId: p.columnId ?? null,
              assigneeId: p.assigneeId ?? null,
              label: p.label ?? null,
              priority: p.priority ?? null,
              dueBefore: p.dueBefore ?? null,
              dueAfter: p.dueAfter ?? null,
              search: p.q ?? null,
              limit: p.limit ?? DEFAULT_LIMIT,
              cursor: p.cursor ?? null
            })
          ),
          orInternal
        )
      )
      .handle("createTask", ({ path, payload }) => asActor((actor) => tasks.create(actor, path.projectId, payload)))
      .handle("getTask", ({ path }) => jsonBody(asActor((actor) => views.task(actor, path.taskId))))
      .handle("updateTask", ({ path, payload }) => asActor((actor) => tasks.update(actor, path.taskId, payload)))
      .handle("deleteTask", ({ path }) => asActor((actor) => tasks.delete(actor, path.taskId)))
      .handle("moveTask", ({ path, payload }) => asActor((actor) => tasks.move(actor, path.taskId, payload)))
      .handle("listComments", ({ path, urlParams }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => comments.list(actor, path.taskId, { limit: urlParams.limit ?? DEFAULT_LIMIT, cursor: urlParams.cursor ?? null })),
          orInternal
        )
      )
      .handle("addComment", ({ path, payload }) => asActor((actor) => comments.add(actor, path.taskId, payload)))
      .handle("deleteComment", ({ path }) =>
        asActor((actor) => comments.delete(actor, path.taskId, path.commentId))
      )
  })
)
