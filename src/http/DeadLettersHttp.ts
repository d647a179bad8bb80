import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { ReplayResult, ReplayResults } from "../api/DeadLettersApi.js"
import { CurrentActor } from "../api/Security.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { DeadLetterService } from "../services/DeadLetterService.js"
import { asActor, orInternal } from "./Errors.js"

export const DeadLettersHttp = HttpApiBuilder.group(Api, "deadLetters", (handlers) =>
  Effect.gen(function* () {
    const letters = yield* DeadLetterService
    return handlers
      .handle("listDeadLetters", ({ urlParams }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) =>
            letters.list(actor, {
              handler: urlParams.handler ?? null,
              status: urlParams.status ?? null,
              limit: urlParams.limit ?? DEFAULT_LIMIT,
              cursor: urlParams.cursor ?? null
            })
          ),
          orInternal
        )
      )
      .handle("getDeadLetter", ({ path }) => asActor((actor) => letters.get(actor, path.deadLetterId)))
      .handle("replayDeadLetter", ({ path }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => letters.replay(actor, path.deadLetterId)),
          Effect.map((result) => new ReplayResult(result)),
          orInternal
        )
      )
      .handle("replayDeadLetters", ({ payload }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => letters.replayMany(actor, payload)),
          Effect.map((results) => new ReplayResults({ results: results.map((result) => new ReplayResult(result)) })),
          orInternal
        )
      )
      .handle("discardDeadLetter", ({ path }) => asActor((actor) => letters.discard(actor, path.deadLetterId)))
  })
)
