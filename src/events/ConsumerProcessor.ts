import { Cause, DateTime, Effect, Metric, MetricBoundaries, Option, Ref, type Schedule } from "effect"
import { type DeadLetter, DeadLetterId } from "../domain/DeadLetter.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import { newId } from "../domain/Ids.js"
import { timedSeconds } from "../observability/Metrics.js"
import { withRequest } from "../observability/RequestContext.js"
import { withParentFromTraceparent } from "../observability/Tracing.js"
import { DeadLetterRepository } from "../repositories/DeadLetterRepository.js"
import { InboxRepository } from "../repositories/InboxRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { transientRetry } from "../resilience/RetrySchedules.js"
import { describeFailure, isPermanent } from "./ConsumerFailure.js"
import type { EventHandler } from "./EventHandler.js"

/** What became of one envelope for one handler. Every outcome may be acknowledged. */
export type Outcome =
  | { readonly _tag: "Handled"; readonly attempts: number }
  /** The inbox already had it: an earlier delivery's effect committed. */
  | { readonly _tag: "Duplicate"; readonly attempts: number }
  | { readonly _tag: "DeadLettered"; readonly attempts: number; readonly letter: DeadLetter }

/** By `handler`, `type` and `outcome` (Handled, Duplicate, DeadLettered). */
export const eventsHandled = Metric.counter("flowboard_events_handled_total", {
  description: "Envelopes processed by handlers, by handler, event type and outcome"
})
/** By `handler` and `type`. */
export const handlerFailures = Metric.counter("flowboard_handler_failures_total", {
  description: "Failed handler attempts, each retry counted"
})
/** By `handler` and `type`: attempts after the first. */
export const eventsRetried = Metric.counter("flowboard_events_retried_total", {
  description: "Handler attempts that were retries of a failed one"
})

const secondsBuckets = MetricBoundaries.fromIterable([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])

/** By `handler`: one completed attempt, the unit of work with its inbox row included. */
export const handlerDuration = Metric.histogram(
  "flowboard_handler_duration_seconds",
  secondsBuckets,
  "Time one handler attempt takes, including its transaction"
)

/** By `handler`: from the change (the event's `occurredAt`, in its transaction) to the handler's commit. */
export const eventLatency = Metric.histogram(
  "flowboard_event_latency_seconds",
  secondsBuckets,
  "Time from an event's change to its handling committing, retries and queueing included"
)

/** Handler names and event types are both fixed sets: bounded labels. */
const labelled = (metric: Metric.Metric.Counter<number>, handler: EventHandler, envelope: OutboxEnvelope) =>
  Metric.tagged(Metric.tagged(metric, "handler", handler.name), "type", envelope.type)

/**
 * How one envelope is handled, shared by the workers and by dead-letter replay so both take the
 * same path: the handler's effect and its inbox row in one unit of work, retries on a
 * schedule, a dead letter when it gives up.
 */
export class ConsumerProcessor extends Effect.Service<ConsumerProcessor>()("flowboard/ConsumerProcessor", {
  effect: Effect.gen(function* () {
    const tx = yield* Transactor
    const inbox = yield* InboxRepository
    const deadLetters = yield* DeadLetterRepository

    // The inbox row goes first: on Postgres a concurrent delivery's insert then waits for this
    // unit, and finds the row once it commits, so the effect cannot happen twice.
    const attempt = (handler: EventHandler, envelope: OutboxEnvelope) =>
      tx.transaction(
        Effect.gen(function* () {
          const fresh = yield* inbox.record(handler.name, envelope.id, yield* DateTime.now)
          if (!fresh) return "Duplicate" as const
          yield* handler.handle(envelope)
          return "Handled" as const
        })
      ).pipe(timedSeconds(Metric.tagged(handlerDuration, "handler", handler.name)))

    // Events the handler records are caused by this one and belong to the same conversation.
    const inContext = (handler: EventHandler, envelope: OutboxEnvelope) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        withRequest({ correlationId: envelope.correlationId, traceparent: envelope.traceparent, causationId: envelope.id }),
        Effect.annotateLogs({
          handler: handler.name,
          eventId: envelope.id,
          eventType: envelope.type,
          causationId: envelope.causationId ?? "none"
        })
      )

    const process = (
      handler: EventHandler,
      envelope: OutboxEnvelope,
      retry: Schedule.Schedule<unknown, unknown> = handler.retry
    ): Effect.Effect<Outcome, RepositoryError> =>
      Effect.gen(function* () {
        const attempts = yield* Ref.make(0)
        const firstFailure = yield* Ref.make(Option.none<DateTime.Utc>())
        const noteFailure = (cause: Cause.Cause<unknown>) =>
          Effect.gen(function* () {
            const now = yield* DateTime.now
            yield* Ref.update(firstFailure, Option.orElse(() => Option.some(now)))
            yield* Metric.increment(labelled(handlerFailures, handler, envelope))
            yield* Effect.logWarning("handler attempt failed", Cause.squash(cause)).pipe(
              Effect.annotateLogs("attempt", yield* Ref.get(attempts))
            )
          })

        const result = yield* Ref.update(attempts, (n) => n + 1).pipe(
          Effect.zipRight(attempt(handler, envelope)),
          // The whole cause, defects included: a handler that throws is retried and
          // dead-lettered like one that fails, rather than killing the worker.
          Effect.sandbox,
          Effect.tapError(noteFailure),
          Effect.retry({ schedule: retry, while: (cause) => !isPermanent(cause) && !Cause.isInterruptedOnly(cause) }),
          Effect.either
        )
        const count = yield* Ref.get(attempts)
        if (count > 1) yield* Metric.incrementBy(labelled(eventsRetried, handler, envelope), count - 1)
        if (result._tag === "Right") {
          yield* Metric.increment(Metric.tagged(labelled(eventsHandled, handler, envelope), "outcome", result.right))
          if (result.right === "Handled") {
            const millis = DateTime.distance(envelope.occurredAt, yield* DateTime.now)
            yield* Metric.update(Metric.tagged(eventLatency, "handler", handler.name), Math.max(0, millis) / 1000)
          }
          return { _tag: result.right, attempts: count }
        }
        // Interruption (shutdown) is not the handler's failure: leave the delivery pending.
        if (Cause.isInterruptedOnly(result.left)) return yield* Effect.interrupt

        const now = yield* DateTime.now
        const report = describeFailure(result.left)
        yield* Effect.logError("handler gave up: dead-lettering the event", result.left).pipe(Effect.annotateLogs("attempts", count))
        const letter = yield* deadLetters.record({
          id: newId(DeadLetterId),
          handler: handler.name,
          envelope,
          failure: { attempts: count, firstFailedAt: Option.getOrElse(yield* Ref.get(firstFailure), () => now), lastFailedAt: now, ...report },
          createdAt: now
        }).pipe(Effect.retry({ schedule: transientRetry, while: (error) => error.transient }))
        yield* Metric.increment(Metric.tagged(labelled(eventsHandled, handler, envelope), "outcome", "DeadLettered"))
        return { _tag: "DeadLettered" as const, attempts: count, letter }
      }).pipe(
        // Inside the span, so events the handler records continue this trace.
        inContext(handler, envelope),
        Effect.withSpan("ConsumerProcessor.process", { attributes: { handler: handler.name, "event.id": envelope.id, "event.type": envelope.type } }),
        withParentFromTraceparent(envelope.traceparent)
      )

    return { process } as const
  })
}) {}
