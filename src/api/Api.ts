import { HttpApi, OpenApi } from "@effect/platform"
import {
  InternalError,
  LengthRequired,
  MethodNotAllowed,
  PayloadTooLarge,
  RequestHeaderFieldsTooLarge,
  ServiceUnavailable,
  TooManyRequests,
  UnsupportedMediaType,
  ValidationError
} from "../domain/Errors.js"
import { ActivityApi } from "./ActivityApi.js"
import { AttachmentsApi } from "./AttachmentsApi.js"
import { AuditApi } from "./AuditApi.js"
import { BoardApi } from "./BoardApi.js"
import { DatabaseInsightApi } from "./DatabaseInsightApi.js"
import { DeadLettersApi } from "./DeadLettersApi.js"
import { documentAsServed } from "./DocumentAsServed.js"
import { HealthApi } from "./HealthApi.js"
import { JobsApi } from "./JobsApi.js"
import { LiveAuthentication, LiveEventsApi } from "./LiveEventsApi.js"
import { ProjectsApi } from "./ProjectsApi.js"
import { Authentication } from "./Security.js"
import { TasksApi } from "./TasksApi.js"
import { UsersApi } from "./UsersApi.js"
import { WebhooksApi } from "./WebhooksApi.js"

export class Api extends HttpApi.make("flowboard")
  .add(UsersApi.middleware(Authentication).prefix("/api/v1"))
  .add(ProjectsApi.middleware(Authentication).prefix("/api/v1"))
  .add(BoardApi.middleware(Authentication).prefix("/api/v1"))
  .add(TasksApi.middleware(Authentication).prefix("/api/v1"))
  .add(AttachmentsApi.middleware(Authentication).prefix("/api/v1"))
  .add(ActivityApi.middleware(Authentication).prefix("/api/v1"))
  .add(LiveEventsApi.middleware(LiveAuthentication).prefix("/api/v1"))
  .add(DeadLettersApi.middleware(Authentication).prefix("/api/v1"))
  .add(JobsApi.middleware(Authentication).prefix("/api/v1"))
  .add(DatabaseInsightApi.middleware(Authentication).prefix("/api/v1"))
  .add(AuditApi.middleware(Authentication).prefix("/api/v1"))
  .add(WebhooksApi.middleware(Authentication).prefix("/api/v1"))
  .add(HealthApi)
  .addError(ValidationError)
  .addError(LengthRequired)
  .addError(MethodNotAllowed)
  .addError(PayloadTooLarge)
  .addError(UnsupportedMediaType)
  .addError(RequestHeaderFieldsTooLarge)
  .addError(TooManyRequests)
  .addError(InternalError)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Title, "Flowboard API")
  .annotate(OpenApi.Version, "1")
  .annotate(OpenApi.Transform, documentAsServed)
  .annotate(
    OpenApi.Description,
    "Projects, Kanban boards and tasks. Every failure answers with one JSON shape: `_tag`, `message`, `status`, `issues` (validation) and `correlationId` (also in the `X-Request-Id` header). Request bodies are JSON (`Content-Type: application/json`, else 415), but for attachment uploads (`multipart/form-data`). A path that exists, called with a method it does not take, answers `405 MethodNotAllowed` with an `Allow` header; an unknown path `404`. Every `503` carries `Retry-After`. Requests are rate limited per API key (reads, writes, expensive operations) and per client address without a key: every limited answer carries the `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers, e.g. `\"read\";q=3000;w=60` and `\"read\";r=2999;t=1`), and a refusal is `429 TooManyRequests` with `Retry-After`. Repeated failed authentication blocks the address or key prefix (`429`)."
  ) {}
