import { Layer } from "effect"
import type { HandlerRegistry } from "../src/events/HandlerRegistry.js"
import { AuditTrail } from "../src/audit/AuditTrail.js"
import { CachedViews } from "../src/cache/CachedViews.js"
import { Outbox } from "../src/events/Outbox.js"
import { ActivityService } from "../src/services/ActivityService.js"
import { AttachmentService } from "../src/services/AttachmentService.js"
import { AuthService } from "../src/services/AuthService.js"
import { BoardService } from "../src/services/BoardService.js"
import { CommentService } from "../src/services/CommentService.js"
import { DeadLetterService } from "../src/services/DeadLetterService.js"
import { ProjectAccess } from "../src/services/ProjectAccess.js"
import { ProjectProgressService } from "../src/services/ProjectProgressService.js"
import { ProjectService } from "../src/services/ProjectService.js"
import { TaskService } from "../src/services/TaskService.js"
import { UserService } from "../src/services/UserService.js"
import { WebhookService } from "../src/services/WebhookService.js"
import { WebhookWake } from "../src/webhooks/WebhookWake.js"
import { IdentityCache } from "../src/security/IdentityCache.js"
import { HandlersLive } from "./Handlers.js"
import { JobsLive } from "./Jobs.js"

/**
 * The application services, needing only the repository ports (and Transactor). The handler
 * registry is among them: the API replays dead letters through it, the workers run it. Tests
 * give their own handlers to `servicesWith`. Beneath them: the read cache (layers/Cache.ts).
 */
export const servicesWith = <ROut, E, R>(handlers: Layer.Layer<ROut | HandlerRegistry, E, R>) => Layer.mergeAll(
  UserService.Default,
  AuthService.Default,
  ProjectService.Default,
  BoardService.Default,
  TaskService.Default,
  CommentService.Default,
  AttachmentService.Default,
  WebhookService.Default,
  JobsLive,
  ActivityService.Default,
  ProjectProgressService.Default,
  DeadLetterService.Default,
  CachedViews.Default.pipe(Layer.provide(Layer.mergeAll(BoardService.Default, ProjectProgressService.Default)))
).pipe(
  Layer.provide(Layer.mergeAll(ProjectAccess.Default, Outbox.Default, IdentityCache.Default)),
  // The HTTP layer notes security events in it too (http/RateLimiting.ts).
  Layer.provideMerge(AuditTrail.Default),
  Layer.provideMerge(handlers),
  // One per process: the event handler and the service wake the delivery worker with it.
  Layer.provideMerge(WebhookWake.Default)
)

export const ServicesLive = servicesWith(HandlersLive)
