import { Clock, Deferred, Effect, Ref, Schedule } from "effect"
import type { DomainEvent, OutboxEnvelope } from "../../../src/domain/Events.js"
import { EventId, newId } from "../../../src/domain/Ids.js"
import { type EventHandler, HandlerError } from "../../../src/events/EventHandler.js"
import { Outbox } from "../../../src/events/Outbox.js"

/**
 * A handler whose behaviour a test switches at will (a `Ref`), which records when each attempt
 * started and performs its effect as a real write: it records a `task.updated.v1` event caused
 * by the one it handles, through the outbox, inside the runtime's unit of work. Counting those
 * rows counts effects that committed; a rolled-back attempt leaves none.
 */
export type Behaviour =
  | { readonly _tag: "Succeed" }
  | { readonly _tag: "Fail"; readonly permanent?: boolean }
  | { readonly _tag: "Die" }
  /** Writes its effect, then fails: what must roll back with the inbox row. */
  | { readonly _tag: "FailAfterWrite" }
  /** Writes its effect, then takes its time inside the unit of work (real time on a live clock). */
  | { readonly _tag: "Slow"; readonly millis: number }
  /** Writes its effect, then waits for `release` inside the unit of work. */
  | { readonly _tag: "Block"; readonly started: Deferred.Deferred<void>; readonly release: Deferred.Deferred<void> }

export const succeed: Behaviour = { _tag: "Succeed" }
export const fail: Behaviour = { _tag: "Fail" }

/** Delays of 1 s, 2 s, 4 s: attempts at 0, 1, 3 and 7 seconds, then it gives up. */
export const testRetry = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

export interface Probe {
  readonly handler: EventHandler
  readonly behaviour: Ref.Ref<Behaviour>
  /** Clock time (ms) at which each attempt began. */
  readonly attempts: Ref.Ref<ReadonlyArray<number>>
}

export const makeProbe = (options: {
  readonly name?: string
  readonly types?: EventHandler["types"]
  readonly concurrency?: number
  readonly retry?: EventHandler["retry"]
  readonly behaviour?: Behaviour
} = {}) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox
    const behaviour = yield* Ref.make(options.behaviour ?? succeed)
    const attempts = yield* Ref.make<ReadonlyArray<number>>([])
    // Built by hand, not by `makeEvent`: the probe's payload is a test marker, not a task change.
    const effectOf = (event: OutboxEnvelope): DomainEvent => ({
      id: newId(EventId),
      type: "task.updated.v1",
      aggregateType: "task",
      aggregateId: event.aggregateId,
      aggregateVersion: event.aggregateVersion + 1,
      occurredAt: event.occurredAt,
      payload: { handledBy: options.name ?? "probe", source: event.id }
    })
    const write = (event: OutboxEnvelope) => outbox.record(null, [effectOf(event)])
    const handle = (event: OutboxEnvelope) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* Ref.update(attempts, (times) => [...times, now])
        const current = yield* Ref.get(behaviour)
        switch (current._tag) {
          case "Succeed":
            return yield* write(event)
          case "Fail":
            return yield* new HandlerError({ message: "downstream refused", permanent: current.permanent ?? false, cause: new Error("ECONNRESET") })
          case "Die":
            return yield* Effect.dieMessage("handler bug")
          case "FailAfterWrite":
            yield* write(event)
            return yield* new HandlerError({ message: "failed after writing", permanent: false })
          case "Slow":
            yield* write(event)
            return yield* Effect.sleep(current.millis)
          case "Block":
            yield* write(event)
            yield* Deferred.succeed(current.started, undefined)
            return yield* Deferred.await(current.release)
        }
      })
    const handler: EventHandler = {
      name: options.name ?? "probe",
      types: options.types ?? "*",
      concurrency: options.concurrency ?? 1,
      retry: options.retry ?? testRetry,
      handle
    }
    return { handler, behaviour, attempts } satisfies Probe
  })

/** Effects committed by probes: the events they recorded, one per handled source event. */
export const effectsOf = (events: ReadonlyArray<OutboxEnvelope>, source: OutboxEnvelope) =>
  events.filter((event) => event.payload["source"] === source.id)
