import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { ActivityService } from "../services/ActivityService.js"
import { orInternal } from "./Errors.js"

export const ActivityHttp = HttpApiBuilder.group(Api, "activity", (handlers) =>
  Effect.gen(function* () {
    const activity = yield* ActivityService
    return handlers.handle("listActivity", ({ path, urlParams }) =>
      CurrentActor.pipe(
        Effect.flatMap((actor) =>
          activity.list(actor, path.projectId, {
            types: urlParams.type ?? [],
            limit: urlParams.limit ?? DEFAULT_LIMIT,
            cursor: urlParams.cursor ?? null
          })
        ),
        orInternal
      )
    )
  })
)
