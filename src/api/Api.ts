import { HttpApi, OpenApi } from "@effect/platform"
import { InternalError, LengthRequired, PayloadTooLarge, ServiceUnavailable, ValidationError } from "../domain/Errors.js"
import { ActivityApi } from "./ActivityApi.js"
import { BoardApi } from "./BoardApi.js"
import { DatabaseInsightApi } from "./DatabaseInsightApi.js"
import { DeadLettersApi } from "./DeadLettersApi.js"
import { HealthApi } from "./HealthApi.js"
import { JobsApi } from "./JobsApi.js"
import { LiveAuthentication, LiveEventsApi } from "./LiveEventsApi.js"
import { ProjectsApi } from "./ProjectsApi.js"
import { Authentication } from "./Security.js"
import { TasksApi } from "./TasksApi.js"
import { UsersApi } from "./UsersApi.js"

export class Api extends HttpApi.make("flowboard")
  .add(UsersApi.middleware(Authentication).prefix("/api/v1"))
  .add(ProjectsApi.middleware(Authentication).prefix("/api/v1"))
  .add(BoardApi.middleware(Authentication).prefix("/api/v1"))
  .add(TasksApi.middleware(Authentication).prefix("/api/v1"))
  .add(ActivityApi.middleware(Authentication).prefix("/api/v1"))
  .add(LiveEventsApi.middleware(LiveAuthentication).prefix("/api/v1"))
  .add(DeadLettersApi.middleware(Authentication).prefix("/api/v1"))
  .add(JobsApi.middleware(Authentication).prefix("/api/v1"))
  .add(DatabaseInsightApi.middleware(Authentication).prefix("/api/v1"))
  .add(HealthApi)
  .addError(ValidationError)
  .addError(LengthRequired)
  .addError(PayloadTooLarge)
  .addError(InternalError)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Title, "Flowboard API")
  .annotate(OpenApi.Version, "1")
  .annotate(
    OpenApi.Description,
    "Projects, Kanban boards and tasks. Every failure answers with one JSON shape: `_tag`, `message`, `status`, `issues` (validation) and `correlationId` (also in the `X-Request-Id` header)."
  ) {}
