import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, ExecutionStrategy, Exit, Fiber, Layer, Ref, Scope, TestClock } from "effect"
import { testWith } from "../../../layers/Test.js"
import type { OutboxEnvelope } from "../../../src/domain/Events.js"
import type { ConsumerOptions } from "../../../src/events/ConsumerConfig.js"
import { ConsumerProcessor } from "../../../src/events/ConsumerProcessor.js"
import { makeConsumerRuntime } from "../../../src/events/ConsumerRuntime.js"
import { EventTransport } from "../../../src/events/EventTransport.js"
import { handlersLayer } from "../../../src/events/HandlerRegistry.js"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import { Outbox } from "../../../src/events/Outbox.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { bootstrapAdmin, clientWithKey, testApiWith } from "../../support/TestApi.js"
import { type Behaviour, effectsOf, fail, makeProbe, type Probe, succeed } from "./ConsumerSupport.js"

class Probes extends Context.Tag("test/Probes")<Probes, ReadonlyArray<Probe>>() {}

/** The services over in-memory stores with these probe handlers registered, and an in-process transport. */
const registryOf = (specs: ReadonlyArray<Parameters<typeof makeProbe>[0]>) =>
  handlersLayer(Effect.map(Probes, (all) => all.map((probe) => probe.handler))).pipe(
    Layer.provideMerge(Layer.effect(Probes, Effect.forEach(specs, makeProbe)).pipe(Layer.provide(Outbox.Default)))
  )
const world = (specs: ReadonlyArray<Parameters<typeof makeProbe>[0]>) => Layer.mergeAll(testWith(registryOf(specs)), InProcessTransport.layer())
/** The same, behind the whole HTTP API. */
const worldWithApi = (specs: ReadonlyArray<Parameters<typeof makeProbe>[0]>) =>
  Layer.mergeAll(testApiWith(registryOf(specs)), InProcessTransport.layer())

const options: ConsumerOptions = { drainTimeout: Duration.seconds(10), claimIdle: Duration.seconds(30), block: Duration.seconds(1) }

/** A worker process: the runtime in a scope of its own (closing it is SIGTERM), closed with the test's. */
const startWorkerWith = (overrides: Partial<ConsumerOptions>) => Effect.gen(function* () {
  const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
  yield* makeConsumerRuntime({ ...options, ...overrides }).pipe(Effect.provide(ConsumerProcessor.Default), Scope.extend(scope))
  return scope
})
const startWorker = startWorkerWith({})

/** Lets every fiber run until it waits on the clock or on something else. */
const settle = TestClock.adjust(Duration.zero)

const publish = (...envelopes: ReadonlyArray<OutboxEnvelope>) =>
  Effect.flatMap(EventTransport, (transport) => transport.publish(envelopes.map((envelope) => ({ envelope, priority: "default" as const }))))
const lag = (group: string) => Effect.flatMap(EventTransport, (transport) => transport.lag(group))
const effects = (source: OutboxEnvelope) => Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (all) => effectsOf(all, source).length)
const probeNamed = (name: string) => Effect.map(Probes, (all) => all.find((probe) => probe.handler.name === name)!)
const block = Effect.map(Effect.all([Deferred.make<void>(), Deferred.make<void>()]), ([started, release]) => ({ _tag: "Block", started, release }) satisfies Behaviour)

describe("ConsumerRuntime", () => {
  it.scoped("gives each handler the types it wants, acks the rest, and leaves nothing pending", () =>
    Effect.gen(function* () {
      yield* startWorker
      const [created, moved] = [anEnvelope({ type: "task.created.v1" }), anEnvelope({ type: "task.moved.v1" })]
      yield* publish(created, moved)
      yield* settle
      expect(yield* Effect.all([effects(created), effects(moved)])).toEqual([2, 1])
      expect(yield* Effect.all([lag("only-created"), lag("everything")])).toEqual([{ pending: 0, backlog: 0 }, { pending: 0, backlog: 0 }])
    }).pipe(Effect.provide(world([{ name: "only-created", types: ["task.created.v1"] }, { name: "everything", concurrency: 4 }]))))

  it.scoped("dead-letters a poison event after its retries; once fixed, a replay through the API handles it once", () =>
    Effect.gen(function* () {
      yield* startWorker
      const probe = yield* probeNamed("poison")
      const event = anEnvelope()
      yield* publish(event)
      yield* TestClock.adjust(Duration.seconds(7))
      expect(yield* Ref.get(probe.attempts)).toEqual([0, 1_000, 3_000, 7_000])
      // Given up on and acknowledged: it waits in the dead-letter store, not in the transport.
      expect(yield* lag("poison")).toEqual({ pending: 0, backlog: 0 })
      expect(yield* effects(event)).toBe(0)

      const admin = yield* bootstrapAdmin
      const client = yield* clientWithKey(admin.token)
      const listed = yield* client.deadLetters.listDeadLetters({ urlParams: { handler: "poison" } })
      expect(listed.items.map((letter) => [letter.eventId, letter.attempts, letter.status])).toEqual([[event.id, 4, "pending"]])
      const letterId = listed.items[0]!.id

      // Still broken: the replay fails, and the letter says so.
      const failed = yield* client.deadLetters.replayDeadLetter({ path: { deadLetterId: letterId } })
      expect([failed.outcome, failed.letter?.attempts, failed.letter?.status]).toEqual(["failed", 5, "pending"])

      yield* Ref.set(probe.behaviour, succeed)
      const replayed = yield* client.deadLetters.replayDeadLetter({ path: { deadLetterId: letterId } })
      expect([replayed.outcome, replayed.letter?.status, replayed.letter?.replayedBy]).toEqual(["replayed", "replayed", admin.user.id])
      const again = yield* client.deadLetters.replayDeadLetters({ payload: { ids: [letterId] } })
      expect(again.results.map((result) => result.outcome)).toEqual(["replayed"])
      expect(yield* effects(event)).toBe(1)

      yield* client.deadLetters.discardDeadLetter({ path: { deadLetterId: letterId } })
      const gone = yield* Effect.flip(client.deadLetters.getDeadLetter({ path: { deadLetterId: letterId } }))
      expect(gone._tag).toBe("NotFound")
    }).pipe(Effect.provide(worldWithApi([{ name: "poison", behaviour: fail }]))))

  it.scoped("on shutdown finishes the batch in flight, and leaves the queued one pending for another worker", () =>
    Effect.gen(function* () {
      const probe = yield* probeNamed("slow")
      const blocked = yield* block
      yield* Ref.set(probe.behaviour, blocked)
      // Batches of one: the first event is the batch in flight, the second one is queued.
      const worker = yield* startWorkerWith({ batchSize: 1 })
      const [first, second] = [anEnvelope(), anEnvelope()]
      yield* publish(first, second)
      yield* Deferred.await(blocked.started)
      const stopping = yield* Effect.fork(Scope.close(worker, Exit.void))
      yield* settle
      yield* Deferred.succeed(blocked.release, undefined)
      yield* Fiber.join(stopping)
      expect(yield* Effect.all([effects(first), effects(second)])).toEqual([1, 0])
      expect(yield* lag("slow")).toEqual({ pending: 1, backlog: 0 })

      // Another worker takes the abandoned entry over once it has been idle for claimIdle.
      yield* Ref.set(probe.behaviour, succeed)
      yield* startWorker
      yield* TestClock.adjust(options.claimIdle)
      expect(yield* Effect.all([effects(first), effects(second)])).toEqual([1, 1])
      expect(yield* lag("slow")).toEqual({ pending: 0, backlog: 0 })
    }).pipe(Effect.provide(world([{ name: "slow" }]))))

  it.scoped("abandons a delivery that outlasts the drain timeout: rolled back, not acked, handled once by the next worker", () =>
    Effect.gen(function* () {
      const probe = yield* probeNamed("stuck")
      const blocked = yield* block
      yield* Ref.set(probe.behaviour, blocked)
      const worker = yield* startWorker
      const event = anEnvelope()
      yield* publish(event)
      yield* Deferred.await(blocked.started)
      const stopping = yield* Effect.fork(Scope.close(worker, Exit.void))
      yield* TestClock.adjust(options.drainTimeout)
      yield* Fiber.join(stopping)
      // The handler had written its effect inside the unit; interruption rolled it back.
      expect(yield* effects(event)).toBe(0)
      expect(yield* lag("stuck")).toEqual({ pending: 1, backlog: 0 })

      yield* Ref.set(probe.behaviour, succeed)
      yield* startWorker
      yield* TestClock.adjust(options.claimIdle)
      expect(yield* effects(event)).toBe(1)
      expect(yield* lag("stuck")).toEqual({ pending: 0, backlog: 0 })
    }).pipe(Effect.provide(world([{ name: "stuck" }]))))
})
