import { DateTime, Effect } from "effect"
import { DeadLetterId } from "../../src/domain/DeadLetter.js"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { newId } from "../../src/domain/Ids.js"
import { DeadLetterRepository } from "../../src/repositories/DeadLetterRepository.js"
import { InboxRepository } from "../../src/repositories/InboxRepository.js"
import { anEnvelope } from "../contract/Fixtures.js"

/**
 * A dead letter stored directly, as the consumer runtime would after giving up. With
 * `handledSince`, its handler's inbox also has the event (a duplicate delivery got through
 * later), so replaying it succeeds without running any handler: what the e2e route table needs.
 */
export const givenDeadLetter = (handler: string, options: { readonly envelope?: OutboxEnvelope; readonly handledSince?: boolean } = {}) =>
  Effect.gen(function* () {
    const letters = yield* DeadLetterRepository
    const envelope = options.envelope ?? anEnvelope()
    const now = yield* DateTime.now
    const letter = yield* letters.record({
      id: newId(DeadLetterId),
      handler,
      envelope,
      failure: { attempts: 3, firstFailedAt: now, lastFailedAt: now, error: "boom", cause: "Error: boom", causeChain: [{ kind: "failure", tag: "HandlerError", message: "boom" }] },
      createdAt: now
    })
    if (options.handledSince === true) yield* Effect.flatMap(InboxRepository, (inbox) => inbox.record(handler, envelope.id, now))
    return letter
  })
