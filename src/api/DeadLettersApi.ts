import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DeadLetter, DeadLetterId, DeadLetterStatus } from "../domain/DeadLetter.js"
import { Conflict, Forbidden, NotFound, ValidationError } from "../domain/Errors.js"
import { strict } from "../domain/Model.js"
import { Page } from "../domain/Page.js"
import { Text } from "../domain/Text.js"
import { PageParams, strictParams } from "./Common.js"

const deadLetterId = HttpApiSchema.param("deadLetterId", DeadLetterId)
const HandlerName = Text(63, 1)

export class ReplayResult extends Schema.Class<ReplayResult>("ReplayResult")({
  id: DeadLetterId,
  outcome: Schema.Literal("replayed", "failed", "notFound").annotations({
    description: "`replayed`: handled now, or found already handled. `failed`: the handler failed again (see the letter) or is not registered."
  }),
  letter: Schema.NullOr(DeadLetter)
}) {}

/** Either explicit ids, or the oldest pending letters of one handler. */
export const ReplayMany = Schema.Union(
  Schema.Struct({ ids: Schema.Array(DeadLetterId).pipe(Schema.minItems(1), Schema.maxItems(100)) }).annotations(strict),
  Schema.Struct({
    handler: HandlerName,
    limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 100 })
  }).annotations(strict)
).annotations({ identifier: "ReplayMany" })

export class ReplayResults extends Schema.Class<ReplayResults>("ReplayResults")({ results: Schema.Array(ReplayResult) }) {}

export class DeadLettersApi extends HttpApiGroup.make("deadLetters")
  .add(
    HttpApiEndpoint.get("listDeadLetters", "/admin/dead-letters")
      .setUrlParams(strictParams({ ...PageParams, handler: Schema.optional(HandlerName), status: Schema.optional(DeadLetterStatus) }))
      .addSuccess(Page(DeadLetter))
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("getDeadLetter")`/admin/dead-letters/${deadLetterId}`.addSuccess(DeadLetter).addError(Forbidden).addError(NotFound))
  .add(
    HttpApiEndpoint.post("replayDeadLetter")`/admin/dead-letters/${deadLetterId}/replay`
      .addSuccess(ReplayResult)
      .addError(Forbidden)
      .addError(NotFound)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.post("replayDeadLetters", "/admin/dead-letters/replay")
      .setPayload(ReplayMany)
      .addSuccess(ReplayResults)
      .addError(Forbidden)
      .addError(Conflict)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.del("discardDeadLetter")`/admin/dead-letters/${deadLetterId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Forbidden)
      .addError(NotFound)
  )
  .annotate(OpenApi.Title, "Dead letters")
  .annotate(
    OpenApi.Description,
    "Events a handler gave up on after its retries, with the error and its cause chain. Replay runs the handler once more (idempotently); discard drops the letter. Admin key only."
  ) {}
