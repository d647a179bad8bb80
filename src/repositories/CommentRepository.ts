import { Context, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { CommentId, TaskId } from "../domain/Ids.js"
import type { Comment } from "../domain/Model.js"
import type { PageRequest } from "../domain/Page.js"

export class CommentRepository extends Context.Tag("flowboard/CommentRepository")<
  CommentRepository,
  {
    readonly insert: (comment: Comment) => Effect.Effect<void, RepositoryError>
    readonly findById: (id: CommentId) => Effect.Effect<Option.Option<Comment>, RepositoryError>
    /** `false` when there was no such comment (another transaction deleted it first). */
    readonly delete: (id: CommentId) => Effect.Effect<boolean, RepositoryError>
    /** Comments of a task in id (creation) order, `limit + 1` rows after the cursor id. */
    readonly listByTask: (taskId: TaskId, page: PageRequest) => Effect.Effect<ReadonlyArray<Comment>, RepositoryError>
  }
>() {}
