import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Fiber, Layer, Metric, Option, Ref, Schedule, TestClock } from "effect"
import { batchSplits, ConsumerProcessor, eventLatency, eventsHandled, eventsRetried, handlerDuration } from "../../../src/events/ConsumerProcessor.js"
import { Outbox } from "../../../src/events/Outbox.js"
import { DeadLetterRepository } from "../../../src/repositories/DeadLetterRepository.js"
import { InboxRepository } from "../../../src/repositories/InboxRepository.js"
import { MemoryRepositoriesLive } from "../../../src/repositories/memory/index.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { type EventHandler, HandlerError } from "../../../src/events/EventHandler.js"
import { RepositoryError } from "../../../src/domain/Errors.js"
import { effectsOf, fail, makeProbe, succeed } from "./ConsumerSupport.js"

const Env = Layer.mergeAll(ConsumerProcessor.Default, Outbox.Default).pipe(Layer.provideMerge(MemoryRepositoriesLive))
const fresh = Effect.provide(Env)

const committedEffects = (source: ReturnType<typeof anEnvelope>) =>
  Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (events) => effectsOf(events, source))

describe("ConsumerProcessor", () => {
  it.effect("retries on the handler's schedule, then dead-letters with the attempts, times and cause chain", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe({ behaviour: fail })
      const event = anEnvelope({ correlationId: "corr-1" })
      const running = yield* Effect.fork(process(probe.handler, event))

      // Just before the last retry is due, three attempts have run and nothing is decided.
      yield* TestClock.adjust(Duration.millis(6_999))
      expect(yield* Ref.get(probe.attempts)).toEqual([0, 1_000, 3_000])
      expect(Option.isNone(yield* Fiber.poll(running))).toBe(true)

      yield* TestClock.adjust(Duration.millis(1))
      const outcome = yield* Fiber.join(running)
      expect(yield* Ref.get(probe.attempts)).toEqual([0, 1_000, 3_000, 7_000])
      expect(outcome._tag).toBe("DeadLettered")
      if (outcome._tag !== "DeadLettered") return
      const { letter } = outcome
      expect({
        handler: letter.handler,
        eventId: letter.eventId,
        eventType: letter.eventType,
        attempts: letter.attempts,
        firstFailedAt: letter.firstFailedAt.epochMillis,
        lastFailedAt: letter.lastFailedAt.epochMillis,
        error: letter.error,
        causeChain: letter.causeChain,
        status: letter.status,
        correlationId: letter.envelope.correlationId
      }).toEqual({
        handler: "probe",
        eventId: event.id,
        eventType: event.type,
        attempts: 4,
        firstFailedAt: 0,
        lastFailedAt: 7_000,
        error: "downstream refused",
        causeChain: [
          { kind: "failure", tag: "HandlerError", message: "downstream refused" },
          { kind: "cause", tag: "Error", message: "ECONNRESET" }
        ],
        status: "pending",
        correlationId: "corr-1"
      })
      expect(letter.cause).toContain("downstream refused")
      expect(letter.cause).not.toMatch(/^\s+at /m)
      expect(Option.isSome(yield* Effect.flatMap(DeadLetterRepository, (letters) => letters.findById(letter.id)))).toBe(true)
      expect(yield* Effect.flatMap(InboxRepository, (inbox) => inbox.contains("probe", event.id))).toBe(false)
    }).pipe(fresh))

  it.effect("a permanent HandlerError skips the remaining retries", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe({ behaviour: { _tag: "Fail", permanent: true } })
      const outcome = yield* process(probe.handler, anEnvelope())
      expect({ tag: outcome._tag, attempts: outcome.attempts, times: yield* Ref.get(probe.attempts) }).toEqual({ tag: "DeadLettered", attempts: 1, times: [0] })
    }).pipe(fresh))

  it.effect("a handler that dies is retried and dead-lettered like one that fails", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe({ behaviour: { _tag: "Die" } })
      const running = yield* Effect.fork(process(probe.handler, anEnvelope()))
      yield* TestClock.adjust(Duration.seconds(7))
      const outcome = yield* Fiber.join(running)
      expect(outcome._tag === "DeadLettered" ? outcome.letter.causeChain : null).toEqual([{ kind: "defect", tag: "RuntimeException", message: "handler bug" }])
      expect(outcome.attempts).toBe(4)
    }).pipe(fresh))

  it.effect("a failed attempt rolls back its writes with its inbox row; the retry commits both once", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe({ behaviour: { _tag: "FailAfterWrite" } })
      const event = anEnvelope()
      const running = yield* Effect.fork(process(probe.handler, event))
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* committedEffects(event)).toEqual([])
      yield* Ref.set(probe.behaviour, succeed)
      yield* TestClock.adjust(Duration.seconds(1))
      expect(yield* Fiber.join(running)).toEqual({ _tag: "Handled", attempts: 2 })
      expect(yield* committedEffects(event)).toHaveLength(1)
      expect(yield* Effect.flatMap(InboxRepository, (inbox) => inbox.contains("probe", event.id))).toBe(true)
    }).pipe(fresh))

  it.effect("the same event delivered twice has one effect; events it records are caused by it", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe()
      const event = anEnvelope({ correlationId: "corr-7", causationId: "earlier" })
      expect(yield* process(probe.handler, event)).toEqual({ _tag: "Handled", attempts: 1 })
      expect(yield* process(probe.handler, event)).toEqual({ _tag: "Duplicate", attempts: 1 })
      const effects = yield* committedEffects(event)
      expect(effects.map((e) => ({ causationId: e.causationId, correlationId: e.correlationId }))).toEqual([{ causationId: event.id, correlationId: "corr-7" }])
      // Another handler is another consumer: it gets its own effect.
      const other = yield* makeProbe({ name: "other" })
      expect((yield* process(other.handler, event))._tag).toBe("Handled")
    }).pipe(fresh))

  it.effect("concurrent deliveries of one event still have one effect", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      const probe = yield* makeProbe()
      const event = anEnvelope()
      const outcomes = yield* Effect.all([process(probe.handler, event), process(probe.handler, event)], { concurrency: "unbounded" })
      expect(outcomes.map((o) => o._tag).sort()).toEqual(["Duplicate", "Handled"])
      expect(yield* committedEffects(event)).toHaveLength(1)
    }).pipe(fresh))

  it.effect("measures every attempt, counts the retries by handler and type, and the latency from the change to the handling", () =>
    Effect.gen(function* () {
      const { process } = yield* ConsumerProcessor
      // Metrics are process-wide: a handler name no other test uses keeps these series apart.
      const probe = yield* makeProbe({ name: "metered", behaviour: { _tag: "FailAfterWrite" } })
      const event = anEnvelope({ type: "task.moved.v1", occurredAt: DateTime.unsafeMake(0) })
      const attempts = Metric.tagged(handlerDuration, "handler", "metered")
      const retried = Metric.tagged(Metric.tagged(eventsRetried, "handler", "metered"), "type", "task.moved.v1")
      const handled = Metric.tagged(Metric.tagged(Metric.tagged(eventsHandled, "handler", "metered"), "type", "task.moved.v1"), "outcome", "Handled")
      const latency = Metric.tagged(eventLatency, "handler", "metered")

      const running = yield* Effect.fork(process(probe.handler, event))
      yield* TestClock.adjust(Duration.millis(1))
      yield* Ref.set(probe.behaviour, succeed)
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* Fiber.join(running)).toEqual({ _tag: "Handled", attempts: 2 })

      expect((yield* Metric.value(attempts)).count).toBe(2)
      expect((yield* Metric.value(retried)).count).toBe(1)
      expect((yield* Metric.value(handled)).count).toBe(1)
      // The event happened at 0 on the test clock and was handled at about 1 s: one observation, in that bucket.
      const observed = yield* Metric.value(latency)
      expect(observed.count).toBe(1)
      expect(observed.sum).toBeGreaterThanOrEqual(1)
      expect(observed.sum).toBeLessThan(2)
    }).pipe(fresh))
})

describe("ConsumerProcessor.processBatch", () => {
  it.effect("a duplicate inside a batch and a redelivered half batch each have one effect", () =>
    Effect.gen(function* () {
      const { processBatch } = yield* ConsumerProcessor
      const probe = yield* makeProbe({ behaviour: succeed })
      const [a, b, c, d] = [anEnvelope(), anEnvelope(), anEnvelope(), anEnvelope()]
      const first = yield* processBatch(probe.handler, [a, b, a, c])
      expect(first.map((o) => o._tag)).toEqual(["Handled", "Handled", "Duplicate", "Handled"])
      // The second half comes back (its ack was lost) together with a new event.
      const again = yield* processBatch(probe.handler, [b, c, d])
      expect(again.map((o) => o._tag)).toEqual(["Duplicate", "Duplicate", "Handled"])
      for (const event of [a, b, c, d]) expect((yield* committedEffects(event)).length).toBe(1)
    }).pipe(fresh))

  it.effect("a poison event in the middle dead-letters alone; the rest commit once", () =>
    Effect.gen(function* () {
      const { processBatch } = yield* ConsumerProcessor
      const events = Array.from({ length: 5 }, () => anEnvelope())
      const poison = events[2]!
      const probe = yield* makeProbe({ behaviour: succeed })
      const handler = {
        ...probe.handler,
        handle: (event: ReturnType<typeof anEnvelope>) =>
          event.id === poison.id ? Effect.fail(new HandlerError({ message: "poison", permanent: true })) : probe.handler.handle(event)
      }
      const outcomes = yield* processBatch(handler, events)
      expect(outcomes.map((o) => o._tag)).toEqual(["Handled", "Handled", "DeadLettered", "Handled", "Handled"])
      for (const event of events) expect((yield* committedEffects(event)).length).toBe(event.id === poison.id ? 0 : 1)
      expect(yield* Effect.flatMap(InboxRepository, (inbox) => inbox.contains("probe", poison.id))).toBe(false)
    }).pipe(fresh))

  it.effect("a dependency away through every retry leaves the batch pending: no split, no dead letter; it is handled once back", () =>
    Effect.gen(function* () {
      const { processBatch } = yield* ConsumerProcessor
      const events = Array.from({ length: 3 }, () => anEnvelope())
      const probe = yield* makeProbe({ behaviour: succeed })
      const away = yield* Ref.make(true)
      const unreachable = new RepositoryError({ message: "connect ECONNREFUSED", transient: true })
      const guarded = <E>(effect: Effect.Effect<void, E>): Effect.Effect<void, E | RepositoryError> =>
        Effect.flatMap(Ref.get(away), (down): Effect.Effect<void, E | RepositoryError> => (down ? Effect.fail(unreachable) : effect))
      const handler: EventHandler = {
        ...probe.handler,
        retry: Schedule.recurs(2),
        handle: (event: ReturnType<typeof anEnvelope>) => guarded(probe.handler.handle(event)),
        handleBatch: (batch: ReadonlyArray<ReturnType<typeof anEnvelope>>) => guarded(Effect.forEach(batch, probe.handler.handle, { discard: true }))
      }
      const splits = (yield* Metric.value(Metric.tagged(batchSplits, "handler", handler.name))).count

      const failure = yield* Effect.flip(processBatch(handler, events))
      expect(failure).toMatchObject({ _tag: "RepositoryError", transient: true })
      expect((yield* Metric.value(Metric.tagged(batchSplits, "handler", handler.name))).count).toBe(splits)
      const letters = yield* Effect.flatMap(DeadLetterRepository, (d) => d.list({ handler: null, status: null }, { limit: 10, after: null }))
      expect(letters).toEqual([])
      // One event alone (the single path) is not dead-lettered either.
      expect(yield* Effect.flip(processBatch(handler, [events[0]!]))).toMatchObject({ transient: true })

      yield* Ref.set(away, false)
      expect((yield* processBatch(handler, events)).map((o) => o._tag)).toEqual(["Handled", "Handled", "Handled"])
      for (const event of events) expect((yield* committedEffects(event)).length).toBe(1)
    }).pipe(fresh))
})
