import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { BulkTaskService } from "../services/BulkTaskService.js"
import { ImportExportService } from "../services/ImportExportService.js"
import { JobService } from "../services/JobService.js"
import { asActor } from "./Errors.js"

export const JobsHttp = HttpApiBuilder.group(Api, "jobs", (handlers) =>
  Effect.gen(function* () {
    const jobs = yield* JobService
    const bulk = yield* BulkTaskService
    const io = yield* ImportExportService
    return handlers
      .handle("getJob", ({ path }) => asActor((actor) => jobs.get(actor, path.jobId)))
      .handle("cancelJob", ({ path }) => asActor((actor) => jobs.cancel(actor, path.jobId)))
      .handle("bulkTasks", ({ headers, path, payload }) =>
        asActor((actor) => bulk.submit(actor, path.projectId, payload, headers["idempotency-key"] ?? null))
      )
      .handle("importTasks", ({ headers, path, payload }) =>
        asActor((actor) => io.importTasks(actor, path.projectId, payload, headers["idempotency-key"] ?? null))
      )
      .handle("exportProject", ({ path }) => asActor((actor) => io.exportProject(actor, path.projectId)))
  })
)
