import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { BulkTaskService } from "../services/BulkTaskService.js"
import { ImportExportService } from "../services/ImportExportService.js"
import { JobService } from "../services/JobService.js"
import { orInternal } from "./Errors.js"

export const JobsHttp = HttpApiBuilder.group(Api, "jobs", (handlers) =>
  Effect.gen(function* () {
    const jobs = yield* JobService
    const bulk = yield* BulkTaskService
    const io = yield* ImportExportService
    return handlers
      .handle("getJob", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => jobs.get(actor, path.jobId)), orInternal))
      .handle("cancelJob", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => jobs.cancel(actor, path.jobId)), orInternal))
      .handle("bulkTasks", ({ headers, path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => bulk.submit(actor, path.projectId, payload, headers["idempotency-key"] ?? null)), orInternal)
      )
      .handle("importTasks", ({ headers, path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => io.importTasks(actor, path.projectId, payload, headers["idempotency-key"] ?? null)), orInternal)
      )
      .handle("exportProject", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => io.exportProject(actor, path.projectId)), orInternal))
  })
)
