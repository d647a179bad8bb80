import { DateTime, Effect, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import type { ProjectId } from "../domain/Ids.js"
import type { Project } from "../domain/Model.js"
import { ProjectDetails, progressOf } from "../domain/Progress.js"
import { ProjectProgressRepository } from "../repositories/ProjectProgressRepository.js"
import { ProjectAccess } from "./ProjectAccess.js"

/**
 * A project with its progress: the counts the progress handler keeps (as fresh as the event
 * pipeline), and the overdue count, which depends on the clock alone and so is counted here.
 */
export class ProjectProgressService extends Effect.Service<ProjectProgressService>()("flowboard/ProjectProgressService", {
  effect: Effect.gen(function* () {
    const progress = yield* ProjectProgressRepository
    const access = yield* ProjectAccess

    const of = Effect.fn("ProjectProgressService.of")(function* (projectId: ProjectId) {
      const counts = yield* progress.find(projectId)
      const overdue = yield* progress.countOverdue(projectId, yield* DateTime.now)
      return progressOf(Option.getOrNull(counts), overdue)
    })

    /** The project with its progress, for a caller whose access is already checked (the read cache's loader). */
    const detailsOf = (project: Project) => Effect.map(of(project.id), (progress) => new ProjectDetails({ ...project, progress }))

    return {
      details: Effect.fn("ProjectProgressService.details")(function* (actor: Actor, projectId: ProjectId) {
        const { project } = yield* access.require(actor, projectId, "viewer")
        return yield* detailsOf(project)
      }),
      detailsOf
    } as const
  })
}) {}
