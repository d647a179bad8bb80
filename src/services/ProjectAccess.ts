import { Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Forbidden, NotFound, type RepositoryError } from "../domain/Errors.js"
import type { ProjectId, TaskId } from "../domain/Ids.js"
import type { Member, Project, ProjectRole, Task } from "../domain/Model.js"
import { type ProjectLock, ProjectRepository } from "../repositories/ProjectRepository.js"
import { TaskRepository } from "../repositories/TaskRepository.js"

const roleRank: Record<ProjectRole, number> = { viewer: 1, editor: 2, owner: 3 }

export interface Access {
  readonly project: Project
  readonly member: Member
}

/**
 * Membership is the whole of project authorisation: a non-member learns nothing (404, as if
 * the project did not exist); a member below the required role is told so (403).
 *
 * A write may ask for the project row locked (`ProjectRepository.lock`) while it checks: the
 * check and the write then see the same project, and one deleted meanwhile is a 404 rather
 * than a foreign-key failure. Locks are taken project first, then columns, then tasks, so that
 * concurrent writes wait for each other instead of deadlocking.
 */
export class ProjectAccess extends Effect.Service<ProjectAccess>()("flowboard/ProjectAccess", {
  effect: Effect.gen(function* () {
    const projects = yield* ProjectRepository
    const tasks = yield* TaskRepository

    const checkRole = (access: Access, role: ProjectRole): Effect.Effect<void, Forbidden> =>
      roleRank[access.member.role] < roleRank[role]
        ? Effect.fail(new Forbidden({ message: `this needs the ${role} role on project ${access.project.key}` }))
        : Effect.void

    const require = Effect.fn("ProjectAccess.require")(function* (
      actor: Actor,
      projectId: ProjectId,
      role: ProjectRole,
      lock?: ProjectLock
    ): Effect.fn.Return<Access, NotFound | Forbidden | RepositoryError> {
      const notFound = NotFound.of("project", projectId)
      let access: Access
      if (lock === undefined || lock === "keyShare") {
        // The project and the membership in one read. Under `keyShare` only deletion waits, so
        // the role read with the row is as good as one read after it.
        const found = yield* projects.findAccess(projectId, actor.user.id, lock)
        if (Option.isNone(found)) return yield* notFound
        access = found.value
      } else {
        // Locked, the row comes first: the caller's role is then read as it stands for the write.
        const locked = yield* projects.lock(projectId, lock)
        if (Option.isNone(locked)) return yield* notFound
        const member = yield* projects.findMember(projectId, actor.user.id)
        if (Option.isNone(member)) return yield* notFound
        access = { project: locked.value, member: member.value }
      }
      yield* checkRole(access, role)
      return access
    })

    /**
     * A task the caller may see at `role`; to a non-member the task does not exist. `keep`
     * holds the task (`TaskRepository.lockShared`) until the unit ends, for a write that adds to
     * it (a comment): a concurrent delete then waits, or has already made it a 404.
     */
    const requireTask = Effect.fn("ProjectAccess.requireTask")(function* (
      actor: Actor,
      taskId: TaskId,
      role: ProjectRole,
      keep = false
    ): Effect.fn.Return<Access & { readonly task: Task }, NotFound | Forbidden | RepositoryError> {
      // The task, its project and the caller's membership in one read; to a non-member the task does not exist.
      const found = yield* tasks.findAccess(taskId, actor.user.id)
      if (Option.isNone(found)) return yield* NotFound.of("task", taskId)
      yield* checkRole(found.value, role)
      if (!keep) return found.value
      const task = yield* tasks.lockShared(taskId)
      if (Option.isNone(task)) return yield* NotFound.of("task", taskId)
      return { ...found.value, task: task.value }
    })

    return { require, requireTask } as const
  })
}) {}
