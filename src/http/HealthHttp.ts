import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { Liveness, Readiness as ReadinessBody } from "../api/HealthApi.js"
import { ServiceUnavailable } from "../domain/Errors.js"
import { Health } from "../observability/Health.js"
import { Readiness } from "../observability/Readiness.js"

export const HealthHttp = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function* () {
    const health = yield* Health
    const readiness = yield* Readiness
    return handlers
      .handle("live", () => Effect.succeed(new Liveness({ status: "ok" })))
      .handle("ready", () =>
        health.ready.pipe(
          Effect.as(new ReadinessBody({ status: "ok", database: "ok", mode: readiness.mode })),
          Effect.catchTag("NotReady", (e) =>
            Effect.logWarning("readiness check failed", e.reason).pipe(
              Effect.zipRight(Effect.fail(new ServiceUnavailable({ message: `not ready: ${e.reason}` })))
            )
          )
        )
      )
      .handle("health", () => health.report)
  })
)
