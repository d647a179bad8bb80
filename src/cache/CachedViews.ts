import { Effect, Option, Schema } from "effect"
import { Board, BoardColumn } from "../api/BoardApi.js"
import type { Actor } from "../domain/Actor.js"
import { NotFound, type RepositoryError } from "../domain/Errors.js"
import type { ProjectId, TaskId } from "../domain/Ids.js"
import { Task } from "../domain/Model.js"
import { ProjectDetails } from "../domain/Progress.js"
import { ProjectRepository } from "../repositories/ProjectRepository.js"
import { TaskRepository } from "../repositories/TaskRepository.js"
import { type Board as BoardOf, BoardService } from "../services/BoardService.js"
import { ProjectAccess } from "../services/ProjectAccess.js"
import { ProjectProgressService } from "../services/ProjectProgressService.js"
import { projectScope, progressScope } from "./CacheScopes.js"
import { ReadCache } from "./ReadCache.js"

/** Task ids → their project, learnt on first read (a task never changes project); bounded. */
const TASK_PROJECTS = 50_000

const json = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encode(schema)
  // Our own values, read from the database: an encoding failure is a bug, not a client's error.
  return (value: A) => Effect.map(Effect.orDie(encode(value)), (encoded) => JSON.stringify(encoded))
}
const boardJson = json(Board)
const taskJson = json(Task)
const detailsJson = json(ProjectDetails)

/**
 * The hot reads, answered as encoded JSON bodies from the read cache: the board view, a task,
 * a project with its progress. The caller's access is checked first, every time, also through
 * the cache: an entry per project and user holding the member's role, under the project's scope
 * (a membership change is a project event, so it is stale from the change's commit on). A
 * non-member is never cached and gets the 404 the uncached route gives.
 */
export class CachedViews extends Effect.Service<CachedViews>()("flowboard/CachedViews", {
  effect: Effect.gen(function* () {
    const cache = yield* ReadCache
    const projects = yield* ProjectRepository
    const tasks = yield* TaskRepository
    const boards = yield* BoardService
    const progress = yield* ProjectProgressService
    const access = yield* ProjectAccess
    const taskProjects = new Map<TaskId, ProjectId>()

    /** The caller's role on the project, if a member (every cached route needs only `viewer`). */
    const isMember = (actor: Actor, projectId: ProjectId): Effect.Effect<boolean, RepositoryError> =>
      Effect.map(
        cache.getOrLoad(
          { cache: "access", key: `access:${projectId}:${actor.user.id}`, scopes: [projectScope(projectId)] },
          Effect.map(projects.findAccess(projectId, actor.user.id), Option.map(({ member }) => member.role))
        ),
        Option.isSome
      )

    const boardView = ({ columns, project }: BoardOf) =>
      boardJson(
        new Board({ project, columns: columns.map(({ column, tasks }) => new BoardColumn({ ...column, taskCount: tasks.length, tasks }, true)) }, true)
      )

    const loadBoard = (projectId: ProjectId) =>
      Effect.gen(function* () {
        const project = yield* projects.findById(projectId)
        if (Option.isNone(project)) return Option.none<string>()
        return Option.some(yield* boardView(yield* boards.boardOf(project.value)))
      })

    const boardBody = (projectId: ProjectId) =>
      cache.getOrLoad({ cache: "board", key: `view:board:${projectId}`, scopes: [projectScope(projectId)] }, loadBoard(projectId))

    const remember = (id: TaskId, projectId: ProjectId) => {
      if (taskProjects.size >= TASK_PROJECTS) taskProjects.clear()
      taskProjects.set(id, projectId)
    }

    return {
      // Without a cache (production without Redis), each route is the uncached read: its access
      // check returns what the route needs, in one statement, where the cached path reads twice.
      board: Effect.fn("CachedViews.board")(function* (actor: Actor, projectId: ProjectId) {
        if (!cache.enabled) return yield* boardView(yield* boards.board(actor, projectId))
        if (!(yield* isMember(actor, projectId))) return yield* NotFound.of("project", projectId)
        const body = yield* boardBody(projectId)
        if (Option.isNone(body)) return yield* NotFound.of("project", projectId)
        return body.value
      }),

      task: Effect.fn("CachedViews.task")(function* (actor: Actor, id: TaskId) {
        const projectId = cache.enabled ? taskProjects.get(id) : undefined
        if (projectId === undefined) {
          // First read of this task here (or no cache): the task, its project and the membership in one statement.
          const found = yield* access.requireTask(actor, id, "viewer")
          if (cache.enabled) remember(id, found.task.projectId)
          return yield* taskJson(found.task)
        }
        if (!(yield* isMember(actor, projectId))) return yield* NotFound.of("task", id)
        const body = yield* cache.getOrLoad(
          { cache: "task", key: `view:task:${id}`, scopes: [projectScope(projectId)] },
          Effect.flatMap(tasks.findById(id), (task) => (Option.isSome(task) ? Effect.map(taskJson(task.value), Option.some) : Effect.succeedNone))
        )
        if (Option.isNone(body)) return yield* NotFound.of("task", id)
        return body.value
      }),

      project: Effect.fn("CachedViews.project")(function* (actor: Actor, projectId: ProjectId) {
        if (!cache.enabled) return yield* detailsJson(yield* progress.details(actor, projectId))
        if (!(yield* isMember(actor, projectId))) return yield* NotFound.of("project", projectId)
        const body = yield* cache.getOrLoad(
          { cache: "project", key: `view:project:${projectId}`, scopes: [projectScope(projectId), progressScope(projectId)] },
          Effect.gen(function* () {
            const project = yield* projects.findById(projectId)
            if (Option.isNone(project)) return Option.none<string>()
            return Option.some(yield* detailsJson(yield* progress.detailsOf(project.value)))
          })
        )
        if (Option.isNone(body)) return yield* NotFound.of("project", projectId)
        return body.value
      }),

      /** Loads a board into the cache unless it is there (start-up warming); no access check: nothing is returned. */
      warmBoard: (projectId: ProjectId) => Effect.asVoid(boardBody(projectId))
    } as const
  })
}) {}
