import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Conflict, Forbidden, NotFound, ValidationError, VersionConflict } from "../domain/Errors.js"
import { Member, Project, ProjectStatus } from "../domain/Model.js"
import { Page } from "../domain/Page.js"
import { Text } from "../domain/Text.js"
import { ProjectDetails } from "../domain/Progress.js"
import { AddMember, CreateProject, MoveProject, UpdateMember, UpdateProject } from "../domain/Requests.js"
import { PageParams, projectId, strictParams, userId } from "./Common.js"

export class ProjectsApi extends HttpApiGroup.make("projects")
  .add(
    HttpApiEndpoint.get("listProjects", "/projects")
      .setUrlParams(strictParams({ ...PageParams, status: Schema.optional(ProjectStatus), q: Schema.optional(Text(200)) }))
      .addSuccess(Page(Project))
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.post("createProject", "/projects").setPayload(CreateProject).addSuccess(Project, { status: 201 }).addError(Conflict))
  .add(HttpApiEndpoint.get("getProject")`/projects/${projectId}`.addSuccess(ProjectDetails).addError(NotFound))
  .add(
    HttpApiEndpoint.patch("updateProject")`/projects/${projectId}`
      .setPayload(UpdateProject)
      .addSuccess(Project)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(VersionConflict)
  )
  .add(HttpApiEndpoint.del("deleteProject")`/projects/${projectId}`.addSuccess(HttpApiSchema.NoContent).addError(NotFound).addError(Forbidden))
  .add(
    HttpApiEndpoint.post("moveProject")`/projects/${projectId}/move`
      .setPayload(MoveProject)
      .addSuccess(Project)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(VersionConflict)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("listMembers")`/projects/${projectId}/members`.addSuccess(Schema.Array(Member)).addError(NotFound))
  .add(
    HttpApiEndpoint.post("addMember")`/projects/${projectId}/members`
      .setPayload(AddMember)
      .addSuccess(Member, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(Conflict)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.patch("updateMember")`/projects/${projectId}/members/${userId}`
      .setPayload(UpdateMember)
      .addSuccess(Member)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.del("removeMember")`/projects/${projectId}/members/${userId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(Conflict)
  )
  .annotate(OpenApi.Title, "Projects")
  .annotate(
    OpenApi.Description,
    "Projects sit on their own Kanban by status. Members act by role: viewers read; editors change the project's work (tasks, columns, comments); owners also manage the project itself (its name and description, its status, its deletion) and its members. Non-members get 404."
  ) {}
