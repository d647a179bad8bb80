import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CachedViews } from "../cache/CachedViews.js"
import { CurrentActor } from "../api/Security.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { ProjectService } from "../services/ProjectService.js"
import { asActor, orInternal } from "./Errors.js"
import { jsonBody } from "./JsonBody.js"

export const ProjectsHttp = HttpApiBuilder.group(Api, "projects", (handlers) =>
  Effect.gen(function* () {
    const projects = yield* ProjectService
    const views = yield* CachedViews
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
      .handle("createProject", ({ payload }) => asActor((actor) => projects.create(actor, payload)))
      .handle("getProject", ({ path }) => jsonBody(asActor((actor) => views.project(actor, path.projectId))))
      .handle("updateProject", ({ path, payload }) =>
        asActor((actor) => projects.update(actor, path.projectId, payload))
      )
      .handle("deleteProject", ({ path }) => asActor((actor) => projects.delete(actor, path.projectId)))
      .handle("moveProject", ({ path, payload }) =>
        asActor((actor) => projects.move(actor, path.projectId, payload))
      )
      .handle("listMembers", ({ path }) => asActor((actor) => projects.listMembers(actor, path.projectId)))
      .handle("addMember", ({ path, payload }) =>
        asActor((actor) => projects.addMember(actor, path.projectId, payload))
      )
      .handle("updateMember", ({ path, payload }) =>
        asActor((actor) => projects.updateMember(actor, path.projectId, path.userId, payload))
      )
      .handle("removeMember", ({ path }) =>
        asActor((actor) => projects.removeMember(actor, path.projectId, path.userId))
      )
  })
)
