import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { CommentId, TaskId } from "../../domain/Ids.js"
import { Comment } from "../../domain/Model.js"
import { CommentRepository } from "../CommentRepository.js"
import { PageRequest, Timestamp, traced } from "./SqlSupport.js"

const CommentRow = Schema.Struct({ ...Comment.fields, createdAt: Timestamp, updatedAt: Timestamp })
const CommentFromRow = Schema.transform(CommentRow, Schema.typeSchema(Comment), {
  strict: true,
  decode: (row) => new Comment(row, true),
  encode: (comment) => comment
})

export const SqlCommentRepositoryLive = Layer.effect(
  CommentRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = SqlSchema.void({
      Request: CommentRow,
      execute: (row) => sql`INSERT INTO comments ${sql.insert(row)}`
    })
    const findById = SqlSchema.findOne({
      Request: CommentId,
      Result: CommentFromRow,
      execute: (id) => sql`SELECT * FROM comments WHERE id = ${id}`
    })
    const listByTask = SqlSchema.findAll({
      Request: Schema.Struct({ taskId: TaskId, page: PageRequest }),
      Result: CommentFromRow,
      execute: ({ page, taskId }) =>
        sql`SELECT * FROM comments
            WHERE task_id = ${taskId} ${page.after === null ? sql`` : sql`AND id > ${page.after}`}
            ORDER BY id LIMIT ${page.limit + 1}`
    })

    return CommentRepository.of({
      insert: (comment) => insert(comment).pipe(traced("SqlCommentRepository.insert")),
      findById: (id) => findById(id).pipe(traced("SqlCommentRepository.findById")),
      delete: (id) =>
        sql`DELETE FROM comments WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlCommentRepository.delete")
        ),
      listByTask: (taskId, page) => listByTask({ taskId, page }).pipe(traced("SqlCommentRepository.listByTask"))
    })
  })
)
