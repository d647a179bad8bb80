import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Attachment } from "../../domain/Attachment.js"
import { AttachmentId, ProjectId, TaskId } from "../../domain/Ids.js"
import { AttachmentRepository } from "../AttachmentRepository.js"
import { PageRequest, Timestamp, traced } from "./SqlSupport.js"

const AttachmentRow = Schema.Struct({ ...Attachment.fields, createdAt: Timestamp })
const AttachmentFromRow = Schema.transform(AttachmentRow, Schema.typeSchema(Attachment), {
  strict: true,
  decode: (row) => new Attachment(row, true),
  encode: (attachment) => attachment
})

// `sum` of an integer column is a bigint, which the drivers hand over as text: float8 holds any quota exactly.
const UsageRow = Schema.Struct({ used: Schema.Number })

export const SqlAttachmentRepositoryLive = Layer.effect(
  AttachmentRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = SqlSchema.void({
      Request: AttachmentRow,
      execute: (row) => sql`INSERT INTO attachments ${sql.insert(row)}`
    })
    const findById = SqlSchema.findOne({
      Request: AttachmentId,
      Result: AttachmentFromRow,
      execute: (id) => sql`SELECT * FROM attachments WHERE id = ${id}`
    })
    const listByTask = SqlSchema.findAll({
      Request: Schema.Struct({ taskId: TaskId, page: PageRequest }),
      Result: AttachmentFromRow,
      execute: ({ page, taskId }) =>
        sql`SELECT * FROM attachments
            WHERE task_id = ${taskId} ${page.after === null ? sql`` : sql`AND id > ${page.after}`}
            ORDER BY id LIMIT ${page.limit + 1}`
    })
    const usage = SqlSchema.findAll({
      Request: ProjectId,
      Result: UsageRow,
      execute: (projectId) => sql`SELECT coalesce(sum(size), 0)::float8 AS used FROM attachments WHERE project_id = ${projectId}`
    })

    return AttachmentRepository.of({
      insert: (attachment) => insert(attachment).pipe(traced("SqlAttachmentRepository.insert")),
      findById: (id) => findById(id).pipe(traced("SqlAttachmentRepository.findById")),
      delete: (id) =>
        sql`DELETE FROM attachments WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlAttachmentRepository.delete")
        ),
      listByTask: (taskId, page) => listByTask({ taskId, page }).pipe(traced("SqlAttachmentRepository.listByTask")),
      usage: (projectId) => usage(projectId).pipe(Effect.map((rows) => rows[0]?.used ?? 0), traced("SqlAttachmentRepository.usage"))
    })
  })
)
