import { DateTime, Effect, Either, Option, Schema } from "effect"
import type { Actor } from "../domain/Actor.js"
import { ValidationError } from "../domain/Errors.js"
import type { ProjectId } from "../domain/Ids.js"
import { accepted } from "../domain/Job.js"
import { type ImportResult, ImportResult as ImportResultSchema, type ImportTasks, MAX_IMPORT_BYTES } from "../domain/JobRequests.js"
import { Column, Project, Task } from "../domain/Model.js"
import { ProjectId as ProjectIdSchema } from "../domain/Ids.js"
import { actorOf, inBatches, settle } from "../jobs/Batches.js"
import { ImportRow, parseImport, type RowError, toCreateTask } from "../jobs/ImportRows.js"
import { JobQueue } from "../jobs/JobQueue.js"
import { handle, JobFailure, jobType } from "../jobs/JobType.js"
import { Transactor } from "../repositories/Transactor.js"
import { UserRepository } from "../repositories/UserRepository.js"
import { BoardService } from "./BoardService.js"
import { ProjectAccess } from "./ProjectAccess.js"
import { TaskService } from "./TaskService.js"

/** An export is one JSON document in the job's result; beyond this, page through the task list. */
export const MAX_EXPORT_TASKS = 5_000

export const ImportJob = jobType(
  "tasks.import.v1",
  { payload: Schema.Struct({ projectId: ProjectIdSchema, format: Schema.Literal("json", "csv"), rows: Schema.Array(ImportRow) }), result: ImportResultSchema },
  { maxAttempts: 3 }
)

export const ProjectExport = Schema.Struct({ project: Project, columns: Schema.Array(Column), tasks: Schema.Array(Task), exportedAt: Schema.DateTimeUtc })
export const ExportJob = jobType("project.export.v1", { payload: Schema.Struct({ projectId: ProjectIdSchema }), result: ProjectExport }, { maxAttempts: 3, priority: "high" })

/** The creator left the project (or lost the role) since: the job cannot go on as them. */
const lostAccess = (e: { readonly message: string }) => Effect.fail(new JobFailure({ message: e.message, retryable: false }))

const noneYet: ImportResult = { processed: 0, created: 0, failed: 0, errors: [] }

/**
 * Import of tasks from CSV or JSON, and export of a project, as jobs. The file is read when the
 * import is requested (a file that is not CSV or JSON at all, or has an unknown column, is a 400);
 * each row is then created through `TaskService` in batches like a bulk request, and every
 * problem with a row is reported with its row number and field.
 */
export class ImportExportService extends Effect.Service<ImportExportService>()("flowboard/ImportExportService", {
  effect: Effect.gen(function* () {
    const tasks = yield* TaskService
    const board = yield* BoardService
    const access = yield* ProjectAccess
    const queue = yield* JobQueue
    const users = yield* UserRepository
    const tx = yield* Transactor

    const importHandler = handle(ImportJob, ({ projectId, rows }, { checkpoint, job, resumed }) =>
      Effect.gen(function* () {
        const actor = yield* actorOf(users, job)
        const columns = yield* board.listColumns(actor, projectId).pipe(
          Effect.catchTags({ NotFound: lostAccess, Forbidden: lostAccess })
        )
        const previous = Option.getOrElse(resumed, () => noneYet)
        const importRow = (row: ImportRow) =>
          Either.match(toCreateTask(row, columns), {
            onLeft: (errors) => Effect.succeed(errors),
            onRight: (input) =>
              Effect.map(
                settle(tx.transaction, tasks.create(actor, projectId, input)),
                Either.match({
                  onLeft: (error): ReadonlyArray<RowError> => [{ row: row.row, field: error._tag === "WipLimitExceeded" ? "column" : null, message: error.message }],
                  onRight: (): ReadonlyArray<RowError> => []
                })
              )
          })
        return yield* inBatches({
          total: rows.length,
          done: previous.processed,
          state: previous,
          transaction: tx.transaction,
          checkpoint,
          batch: (from, to, state) =>
            Effect.map(Effect.forEach(rows.slice(from, to), importRow), (outcomes): ImportResult => ({
              processed: to,
              created: state.created + outcomes.filter((errors) => errors.length === 0).length,
              failed: state.failed + outcomes.filter((errors) => errors.length > 0).length,
              errors: [...state.errors, ...outcomes.flat()]
            }))
        })
      }).pipe(Effect.withSpan("ImportExportService.import", { attributes: { "job.id": job.id, rows: rows.length } }))
    )

    const exportHandler = handle(ExportJob, ({ projectId }, { job }) =>
      Effect.gen(function* () {
        const actor = yield* actorOf(users, job)
        const view = yield* board.board(actor, projectId).pipe(
          Effect.catchTags({ NotFound: lostAccess, Forbidden: lostAccess })
        )
        const all = view.columns.flatMap((c) => c.tasks)
        if (all.length > MAX_EXPORT_TASKS) {
          return yield* new JobFailure({ message: `the project has ${all.length} tasks; an export holds at most ${MAX_EXPORT_TASKS}: page through GET /api/v1/projects/${projectId}/tasks instead`, retryable: false })
        }
        return { project: view.project, columns: view.columns.map((c) => c.column), tasks: all, exportedAt: yield* DateTime.now }
      }).pipe(Effect.withSpan("ImportExportService.export", { attributes: { "job.id": job.id } }))
    )

    return {
      handlers: [importHandler, exportHandler],
      importTasks: Effect.fn("ImportExportService.importTasks")(function* (actor: Actor, projectId: ProjectId, request: ImportTasks, idempotencyKey: string | null) {
        yield* access.require(actor, projectId, "editor")
        if (Buffer.byteLength(request.data, "utf8") > MAX_IMPORT_BYTES) return yield* ValidationError.field("data", "must be at most 5 MB")
        const rows = yield* parseImport(request.format, request.data)
        const { job } = yield* queue.enqueue(
          ImportJob,
          { projectId, format: request.format, rows },
          { createdBy: actor.user.id, ...(idempotencyKey === null ? {} : { idempotencyKey: `${actor.user.id}:${idempotencyKey}` }) }
        )
        return accepted(job)
      }),
      exportProject: Effect.fn("ImportExportService.exportProject")(function* (actor: Actor, projectId: ProjectId) {
        yield* access.require(actor, projectId, "viewer")
        const { job } = yield* queue.enqueue(ExportJob, { projectId }, { createdBy: actor.user.id })
        return accepted(job)
      })
    } as const
  })
}) {}
