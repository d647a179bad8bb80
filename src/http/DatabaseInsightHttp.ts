import { HttpApiBuilder } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { DatabaseInsightService } from "../services/DatabaseInsightService.js"
import { orInternal } from "./Errors.js"

export const DatabaseInsightHttp = HttpApiBuilder.group(Api, "databaseInsight", (handlers) =>
  Effect.gen(function* () {
    const insight = yield* DatabaseInsightService
    return handlers.handle("getDatabaseInsight", () => CurrentActor.pipe(Effect.flatMap(insight.report), orInternal))
  })
).pipe(Layer.provide(DatabaseInsightService.Default))
