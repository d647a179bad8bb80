import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { ProjectProgressService } from "../services/ProjectProgressService.js"
import { ProjectService } from "../services/ProjectService.js"
import { orInternal } from "./Errors.js"

export const ProjectsHttp = HttpApiBuilder.group(Api, "projects", (handlers) =>
  Effect.gen(function* () {
    const projects = yield* ProjectService
    const progress = yield* ProjectProgressService
    return handlers
      .handle("listProjects", ({ urlParams }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) =>
            projects.list(actor, {
              status: urlParams.status ?? null,
              search: urlParams.q ?? null,
              limit: urlParams.limit ?? DEFAULT_LIMIT,
              cursor: urlParams.cursor ?? null
            })
          ),
          orInternal
        )
      )
      .handle("createProject", ({ payload }) => CurrentActor.pipe(Effect.flatMap((actor) => projects.create(actor, payload)), orInternal))
      .handle("getProject", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => progress.details(actor, path.projectId)), orInternal))
      .handle("updateProject", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => projects.update(actor, path.projectId, payload)), orInternal)
      )
      .handle("deleteProject", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => projects.delete(actor, path.projectId)), orInternal))
      .handle("moveProject", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => projects.move(actor, path.projectId, payload)), orInternal)
      )
      .handle("listMembers", ({ path }) => CurrentActor.pipe(Effect.flatMap((actor) => projects.listMembers(actor, path.projectId)), orInternal))
      .handle("addMember", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => projects.addMember(actor, path.projectId, payload)), orInternal)
      )
      .handle("updateMember", ({ path, payload }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => projects.updateMember(actor, path.projectId, path.userId, payload)), orInternal)
      )
      .handle("removeMember", ({ path }) =>
        CurrentActor.pipe(Effect.flatMap((actor) => projects.removeMember(actor, path.projectId, path.userId)), orInternal)
      )
  })
)
