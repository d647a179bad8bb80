import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ActivityEntry } from "../domain/Activity.js"
import { NotFound, ValidationError } from "../domain/Errors.js"
import { EventType } from "../domain/Events.js"
import { Page } from "../domain/Page.js"
import { PageParams, projectId, strictParams } from "./Common.js"

export class ActivityApi extends HttpApiGroup.make("activity")
  .add(
    HttpApiEndpoint.get("listActivity")`/projects/${projectId}/activity`
      .setUrlParams(
        strictParams({
          ...PageParams,
          type: Schema.optional(Schema.Array(EventType)).annotations({ description: "Only these event types; repeat the parameter for several" })
        })
      )
      .addSuccess(Page(ActivityEntry))
      .addError(NotFound)
      .addError(ValidationError)
  )
  .annotate(OpenApi.Title, "Activity")
  .annotate(
    OpenApi.Description,
    "What happened in a project, newest first: one entry per event, written shortly after the change by the activity handler. Members only; non-members get 404."
  ) {}
