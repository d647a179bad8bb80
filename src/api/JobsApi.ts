import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Conflict, Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { JobAccepted, JobId, JobView } from "../domain/Job.js"
import { BulkTasks, ImportTasks } from "../domain/JobRequests.js"
import { Text } from "../domain/Text.js"
import { projectId } from "./Common.js"

export const jobId = HttpApiSchema.param("jobId", JobId)

/** A client's retry of the same request finds the job the first one started, instead of a second job. */
export const IdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(
    Text(200, 1).annotations({
      description: "Repeat a request with the same key (per user) to get the job it started rather than a new one"
    })
  )
})

export class JobsApi extends HttpApiGroup.make("jobs")
  .add(HttpApiEndpoint.get("getJob")`/jobs/${jobId}`.addSuccess(JobView).addError(NotFound))
  .add(HttpApiEndpoint.post("cancelJob")`/jobs/${jobId}/cancel`.addSuccess(JobView).addError(NotFound).addError(Conflict))
  .add(
    HttpApiEndpoint.post("bulkTasks")`/projects/${projectId}/tasks/bulk`
      .setPayload(BulkTasks)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(JobAccepted, { status: 202 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.post("importTasks")`/projects/${projectId}/import`
      .setPayload(ImportTasks)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(JobAccepted, { status: 202 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .annotate(
        OpenApi.Description,
        "Creates a task per row, in batches (editor role). The file must parse and its header name known fields, or the answer is 400; problems with single rows go to the job's result: `{ processed, created, failed, errors: [{ row, field, message }] }`, `row` being the CSV line (header = 1) or the 1-based JSON array position. At most 5 MB and 10,000 rows."
      )
  )
  .add(
    HttpApiEndpoint.post("exportProject")`/projects/${projectId}/export`
      .addSuccess(JobAccepted, { status: 202 })
      .addError(NotFound)
      .annotate(
        OpenApi.Description,
        "The project, its columns and tasks as one JSON document in the job's result (any member). Projects with more than 5,000 tasks fail the job: page through the task list instead."
      )
  )
  .annotate(OpenApi.Title, "Jobs")
  .annotate(
    OpenApi.Description,
    "Background work. Starting a job answers 202 with its id; `GET /jobs/{id}` shows its status (queued, running, succeeded, failed, cancelled), progress and, when done, its result or error. A job is visible to the user who started it and to admins."
  ) {}
