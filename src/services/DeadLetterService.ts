import { DateTime, Effect, Option, Schedule } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import { type Actor, isAdmin } from "../domain/Actor.js"
import type { DeadLetter, DeadLetterId, DeadLetterStatus } from "../domain/DeadLetter.js"
import { Conflict, Forbidden, NotFound, type RepositoryError, ValidationError } from "../domain/Errors.js"
import { decodeCursor, type Page, toPage } from "../domain/Page.js"
import { ConsumerProcessor } from "../events/ConsumerProcessor.js"
import { HandlerRegistry } from "../events/HandlerRegistry.js"
import { DeadLetterRepository } from "../repositories/DeadLetterRepository.js"
import { InboxRepository } from "../repositories/InboxRepository.js"
import { Transactor } from "../repositories/Transactor.js"

/** What a replay did: handled now (or found already handled), or failed again (the letter stays). */
export interface ReplayResult {
  readonly id: DeadLetterId
  readonly outcome: "replayed" | "failed" | "notFound"
  readonly letter: DeadLetter | null
}

export type ReplaySelection =
  | { readonly ids: ReadonlyArray<DeadLetterId> }
  | { readonly handler: string; readonly limit: number }

const requireAdmin = (actor: Actor) =>
  isAdmin(actor) ? Effect.void : Effect.fail(new Forbidden({ message: "dead letters need an admin user and a key with the admin scope" }))

/**
 * Inspecting, replaying and discarding dead letters. A replay runs the handler once, in the
 * request, through the workers' own path (`ConsumerProcessor`): inbox idempotency applies, so
 * an event that did get handled meanwhile is not handled twice. No retries: the operator is
 * there to see the answer, and a failure folds into the letter (one more attempt, the new error).
 */
export class DeadLetterService extends Effect.Service<DeadLetterService>()("flowboard/DeadLetterService", {
  dependencies: [ConsumerProcessor.Default],
  effect: Effect.gen(function* () {
    const letters = yield* DeadLetterRepository
    const inbox = yield* InboxRepository
    const registry = yield* HandlerRegistry
    const processor = yield* ConsumerProcessor
    const audit = yield* AuditTrail
    const tx = yield* Transactor

    const find = (id: DeadLetterId) =>
      Effect.flatMap(letters.findById(id), Option.match({ onNone: () => Effect.fail(NotFound.of("dead letter", id)), onSome: Effect.succeed }))

    const handlerOf = (name: string) =>
      Option.match(registry.get(name), {
        onNone: () => Effect.fail(new Conflict({ message: `handler ${name} is not registered in this build` })),
        onSome: Effect.succeed
      })

    const replayLetter = (actor: Actor, letter: DeadLetter): Effect.Effect<ReplayResult, Conflict | RepositoryError> =>
      Effect.gen(function* () {
        // Handled since (a duplicate publish got through): nothing to run, not even the handler.
        if (!(yield* inbox.contains(letter.handler, letter.eventId))) {
          const handler = yield* handlerOf(letter.handler)
          const outcome = yield* processor.process(handler, letter.envelope, Schedule.stop)
          if (outcome._tag === "DeadLettered") return { id: letter.id, outcome: "failed", letter: outcome.letter }
        }
        const now = yield* DateTime.now
        yield* tx.transaction(
          Effect.zipRight(
            letters.markReplayed(letter.id, actor.user.id, now),
            audit.record(actor, [{ action: "deadletter.replayed", targetType: "deadletter", targetId: letter.id, details: { handler: letter.handler, eventId: letter.eventId, eventType: letter.eventType } }])
          )
        )
        yield* Effect.logInfo("dead letter replayed").pipe(Effect.annotateLogs({ deadLetterId: letter.id, replayedBy: actor.user.id }))
        return { id: letter.id, outcome: "replayed", letter: Option.getOrNull(yield* letters.findById(letter.id)) }
      })

    return {
      list: Effect.fn("DeadLetterService.list")(function* (
        actor: Actor,
        query: { readonly handler: string | null; readonly status: DeadLetterStatus | null; readonly limit: number; readonly cursor: string | null }
      ): Effect.fn.Return<Page<DeadLetter>, Forbidden | ValidationError | RepositoryError> {
        yield* requireAdmin(actor)
        const after = query.cursor === null ? null : decodeCursor(query.cursor)
        if (query.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        const rows = yield* letters.list({ handler: query.handler, status: query.status }, { limit: query.limit + 1, after })
        return toPage(rows, query.limit)
      }),

      get: Effect.fn("DeadLetterService.get")(function* (actor: Actor, id: DeadLetterId) {
        yield* requireAdmin(actor)
        return yield* find(id)
      }),

      replay: Effect.fn("DeadLetterService.replay")(function* (actor: Actor, id: DeadLetterId) {
        yield* requireAdmin(actor)
        return yield* replayLetter(actor, yield* find(id))
      }),

      /** One at a time, in the order given (or id order): replays of one handler stay ordered. */
      replayMany: Effect.fn("DeadLetterService.replayMany")(function* (actor: Actor, selection: ReplaySelection) {
        yield* requireAdmin(actor)
        if ("ids" in selection) {
          return yield* Effect.forEach(selection.ids, (id) =>
            Effect.flatMap(letters.findById(id), (found) =>
              Option.match(found, {
                onNone: () => Effect.succeed<ReplayResult>({ id, outcome: "notFound", letter: null }),
                // One letter whose handler is gone must not stop the others.
                onSome: (letter) =>
                  replayLetter(actor, letter).pipe(
                    Effect.catchTag("Conflict", () => Effect.succeed<ReplayResult>({ id, outcome: "failed", letter }))
                  )
              })
            )
          )
        }
        yield* handlerOf(selection.handler)
        const pending = yield* letters.list({ handler: selection.handler, status: "pending" }, { limit: selection.limit, after: null })
        return yield* Effect.forEach(pending.slice(0, selection.limit), (letter) => replayLetter(actor, letter))
      }),

      discard: Effect.fn("DeadLetterService.discard")(function* (actor: Actor, id: DeadLetterId) {
        yield* requireAdmin(actor)
        const letter = yield* find(id)
        const removed = yield* tx.transaction(
          Effect.tap(letters.remove(id), (removed) =>
            removed
              ? audit.record(actor, [{ action: "deadletter.discarded", targetType: "deadletter", targetId: id, details: { handler: letter.handler, eventId: letter.eventId, eventType: letter.eventType } }])
              : Effect.void
          )
        )
        if (!removed) return yield* NotFound.of("dead letter", id)
        yield* Effect.logInfo("dead letter discarded").pipe(Effect.annotateLogs({ deadLetterId: id, discardedBy: actor.user.id }))
      })
    }
  })
}) {}
