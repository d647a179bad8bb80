import { Schema } from "effect"
import { ProjectId, TaskId } from "./Ids.js"
import { strict } from "./Model.js"
import { CreateTask, MoveTask, UpdateTask } from "./Requests.js"
import { Text } from "./Text.js"

/**
 * Requests that start background jobs, and the results those jobs record. Every operation of a
 * bulk request is validated up front (a 400 names its index and field), so a job only ever
 * fails an operation on the board's rules, never on its shape.
 */
export const MAX_BULK_OPERATIONS = 1000

export const CreateOperation = Schema.Struct({ op: Schema.Literal("create"), ...CreateTask.fields }).annotations(strict)
export const MoveOperation = Schema.Struct({ op: Schema.Literal("move"), taskId: TaskId, ...MoveTask.fields }).annotations(strict)
export const UpdateOperation = Schema.Struct({ op: Schema.Literal("update"), taskId: TaskId, ...UpdateTask.fields }).annotations(strict)
export const BulkOperation = Schema.Union(CreateOperation, MoveOperation, UpdateOperation)
export type BulkOperation = typeof BulkOperation.Type

export class BulkTasks extends Schema.Class<BulkTasks>("BulkTasks")(
  Schema.Struct({
    operations: Schema.Array(BulkOperation).pipe(Schema.minItems(1), Schema.maxItems(MAX_BULK_OPERATIONS))
  }).annotations(strict)
) {}

/** A domain error as a job result records it: its tag and message. */
export const OperationError = Schema.Struct({ _tag: Schema.String, message: Schema.String })

export const BulkOutcome = Schema.Union(
  Schema.Struct({ index: Schema.Int, op: Schema.String, status: Schema.Literal("ok"), taskId: TaskId, version: Schema.Int }),
  Schema.Struct({ index: Schema.Int, op: Schema.String, status: Schema.Literal("error"), error: OperationError })
)
export type BulkOutcome = typeof BulkOutcome.Type

/** One outcome per operation, in request order. */
export const BulkResult = Schema.Struct({
  succeeded: Schema.Int,
  failed: Schema.Int,
  outcomes: Schema.Array(BulkOutcome)
})
export type BulkResult = typeof BulkResult.Type

export const BulkPayload = Schema.Struct({ projectId: ProjectId, operations: Schema.Array(BulkOperation) })

// ---- import and export ---------------------------------------------------------------------

/** 5 MiB of file, measured in bytes of UTF-8 (the schema's character bound is a first guard). */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024

export class ImportTasks extends Schema.Class<ImportTasks>("ImportTasks")(
  Schema.Struct({
    format: Schema.Literal("json", "csv"),
    data: Text(MAX_IMPORT_BYTES).annotations({
      description:
        "The file's text. CSV: a header row naming some of title, description, column, priority, labels (;-separated), dueAt, estimate (title required). JSON: an array of objects with those fields."
    })
  }).annotations(strict)
) {}

export const ImportResult = Schema.Struct({
  /** Rows handled so far (all of them once the job succeeded). */
  processed: Schema.Int,
  created: Schema.Int,
  failed: Schema.Int,
  /** One entry per problem: a row with two wrong fields has two. `field` is null for a row-wide one. */
  errors: Schema.Array(Schema.Struct({ row: Schema.Int, field: Schema.NullOr(Schema.String), message: Schema.String }))
})
export type ImportResult = typeof ImportResult.Type
