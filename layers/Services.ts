import { Layer } from "effect"
import { Outbox } from "../src/events/Outbox.js"
import { AuthService } from "../src/services/AuthService.js"
import { BoardService } from "../src/services/BoardService.js"
import { CommentService } from "../src/services/CommentService.js"
import { ProjectAccess } from "../src/services/ProjectAccess.js"
import { ProjectService } from "../src/services/ProjectService.js"
import { TaskService } from "../src/services/TaskService.js"
import { UserService } from "../src/services/UserService.js"

/** The application services, needing only the repository ports (and Transactor). */
export const ServicesLive = Layer.mergeAll(
  UserService.Default,
  AuthService.Default,
  ProjectService.Default,
  BoardService.Default,
  TaskService.Default,
  CommentService.Default
).pipe(Layer.provide(Layer.mergeAll(ProjectAccess.Default, Outbox.Default)))
