import { Cause, DateTime, Effect, Either, Metric, MetricBoundaries, Option, Ref, type Schedule, type Tracer } from "effect"
import { type DeadLetter, DeadLetterId } from "../domain/DeadLetter.js"
import { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import { newId } from "../domain/Ids.js"
import { timedSeconds } from "../observability/Metrics.js"
import { withRequest } from "../observability/RequestContext.js"
import { parseTraceparent, withParentFromTraceparent } from "../observability/Tracing.js"
import { DeadLetterRepository } from "../repositories/DeadLetterRepository.js"
import { InboxRepository } from "../repositories/InboxRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { transientRetry } from "../resilience/RetrySchedules.js"
import { describeFailure, isPermanent, isTransientOnly } from "./ConsumerFailure.js"
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

/** By `handler`: events in one batch unit of work (each attempt, splits included). */
export const batchSize = Metric.histogram(
  "flowboard_handler_batch_size",
  MetricBoundaries.fromIterable([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]),
  "Events handled together in one unit of work"
)

/** By `handler`: failed batches split in two to find the event at fault. */
export const batchSplits = Metric.counter("flowboard_handler_batch_splits_total", {
  description: "Failed batches split in two to isolate the failing event",
  incremental: true
})

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

    /** The delivery stays pending (no ack); it comes back after `claimIdle`, by then maybe with its dependency. */
    const unavailable = (cause: Cause.Cause<unknown>) =>
      Effect.logWarning("a dependency stayed away through every retry; the delivery stays pending", Cause.squash(cause)).pipe(
        Effect.zipRight(Effect.fail(new RepositoryError({ message: "a dependency is unavailable; the delivery stays pending", transient: true, cause: Cause.squash(cause) })))
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
        // Neither is a dependency that stayed away through every retry: pending, not dead.
        if (isTransientOnly(result.left)) return yield* unavailable(result.left)

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

    // One unit of work for the batch: the inbox rows in one statement, the handler's batch
    // form (or its events in turn) on the fresh ones, one commit. Answers the fresh ids.
    const attemptBatch = (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>) =>
      tx.transaction(
        Effect.gen(function* () {
          const fresh = yield* inbox.recordMany(handler.name, events.map((event) => event.id), yield* DateTime.now)
          const todo = events.filter((event) => fresh.has(event.id))
          if (todo.length === 0) return fresh
          if (handler.handleBatch !== undefined) yield* handler.handleBatch(todo)
          else yield* Effect.forEach(todo, (event) => inContext(handler, event)(handler.handle(event)), { discard: true })
          return fresh
        })
      ).pipe(
        timedSeconds(Metric.tagged(handlerDuration, "handler", handler.name)),
        Effect.tap(() => Metric.update(Metric.tagged(batchSize, "handler", handler.name), events.length))
      )

    /** Counts a committed batch's outcomes by type, and the latency of the events it handled. */
    const countBatch = (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>, fresh: ReadonlySet<string>) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const byTypeAndOutcome = new Map<string, { type: string; outcome: string; n: number }>()
        const latency = Metric.tagged(eventLatency, "handler", handler.name)
        for (const event of events) {
          const outcome = fresh.has(event.id) ? "Handled" : "Duplicate"
          const key = `${event.type} ${outcome}`
          const entry = byTypeAndOutcome.get(key) ?? { type: event.type, outcome, n: 0 }
          entry.n += 1
          byTypeAndOutcome.set(key, entry)
          if (outcome === "Handled") yield* Metric.update(latency, Math.max(0, DateTime.distance(event.occurredAt, now)) / 1000)
        }
        for (const { n, outcome, type } of byTypeAndOutcome.values()) {
          yield* Metric.incrementBy(Metric.tagged(Metric.tagged(Metric.tagged(eventsHandled, "handler", handler.name), "type", type), "outcome", outcome), n)
        }
      })

    /**
     * Handles `events` (distinct ids) as one unit; if that fails, splits them in two and handles
     * each half the same way, in order, down to single events, which take the one-event path
     * (retries on the handler's schedule, then a dead letter). So a poison event is found in
     * about log2(n) attempts, dead-letters alone, and every other event commits.
     */
    const settle = (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>): Effect.Effect<ReadonlyMap<string, Outcome>, RepositoryError> =>
      Effect.gen(function* () {
        if (events.length === 1) {
          const event = events[0]!
          return new Map([[event.id, yield* process(handler, event)]])
        }
        // A dependency that is away fails every split alike: the whole batch is retried on the
        // handler's schedule first, and left pending if it stays away; only other failures split.
        const result = yield* attemptBatch(handler, events).pipe(
          Effect.sandbox,
          Effect.retry({ schedule: handler.retry, while: isTransientOnly }),
          Effect.either
        )
        if (Either.isRight(result)) {
          yield* countBatch(handler, events, result.right)
          return new Map(events.map((event): [string, Outcome] => [event.id, { _tag: result.right.has(event.id) ? "Handled" : "Duplicate", attempts: 1 }]))
        }
        if (Cause.isInterruptedOnly(result.left)) return yield* Effect.interrupt
        if (isTransientOnly(result.left)) return yield* unavailable(result.left)
        yield* Metric.increment(Metric.tagged(batchSplits, "handler", handler.name))
        yield* Effect.logWarning("batch attempt failed; splitting it to find the event at fault", Cause.squash(result.left)).pipe(
          Effect.annotateLogs("batchSize", events.length)
        )
        const middle = Math.ceil(events.length / 2)
        const first = yield* settle(handler, events.slice(0, middle))
        const second = yield* settle(handler, events.slice(middle))
        return new Map([...first, ...second])
      })

    /**
     * How a batch of envelopes is handled: one unit of work and one inbox statement for all of
     * them, split on failure (see `settle`). An id that repeats within the batch (the relay
     * published it twice) is handled once; its repeats are `Duplicate`. Outcomes in input order.
     */
    const processBatch = (handler: EventHandler, envelopes: ReadonlyArray<OutboxEnvelope>): Effect.Effect<ReadonlyArray<Outcome>, RepositoryError> => {
      const seen = new Set<string>()
      const distinct: Array<OutboxEnvelope> = []
      const repeats: Array<OutboxEnvelope> = []
      for (const envelope of envelopes) {
        if (seen.has(envelope.id)) repeats.push(envelope)
        else {
          seen.add(envelope.id)
          distinct.push(envelope)
        }
      }
      const links: Array<Tracer.SpanLink> = []
      for (const envelope of distinct) {
        const span = parseTraceparent(envelope.traceparent)
        if (Option.isSome(span)) links.push({ _tag: "SpanLink", span: span.value, attributes: { "event.id": envelope.id } })
      }
      return Effect.gen(function* () {
        if (distinct.length === 0) return []
        const outcomes = yield* settle(handler, distinct)
        if (repeats.length > 0) yield* countBatch(handler, repeats, new Set())
        const counted = new Set<string>()
        return envelopes.map((envelope): Outcome => {
          if (counted.has(envelope.id)) return { _tag: "Duplicate", attempts: 0 }
          counted.add(envelope.id)
          return outcomes.get(envelope.id) ?? { _tag: "Duplicate", attempts: 0 }
        })
      }).pipe(
        Effect.annotateLogs({ handler: handler.name }),
        Effect.withSpan("ConsumerProcessor.processBatch", { attributes: { handler: handler.name, "batch.size": envelopes.length }, links })
      )
    }

    return { process, processBatch } as const
  })
}) {}
