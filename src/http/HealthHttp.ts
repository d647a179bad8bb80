import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { Liveness, Readiness as ReadinessBody } from "../api/HealthApi.js"
import { ServiceUnavailable } from "../domain/Errors.js"
import { Readiness } from "../observability/Readiness.js"

export const HealthHttp = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function* () {
    const readiness = yield* Readiness
    return handlers
      .handle("live", () => Effect.succeed(new Liveness({ status: "ok" })))
      .handle("ready", () =>
        readiness.check.pipe(
          Effect.as(new ReadinessBody({ status: "ok", database: "ok", mode: readiness.mode })),
          Effect.catchTag("RepositoryError", (e) =>
            Effect.logWarning("readiness check failed", e.message).pipe(
              Effect.zipRight(Effect.fail(new ServiceUnavailable({ message: `not ready: ${e.message}` })))
            )
          )
        )
      )
  })
)
