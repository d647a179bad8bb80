import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Exit, Layer, Option, Scope, Stream, TestClock } from "effect"
import type { OutboxEnvelope } from "../../../src/domain/Events.js"
import { EventId, newId } from "../../../src/domain/Ids.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { idAt, millisOf } from "../../../src/services/OutboxTail.js"
import { LiveEvents, type LiveMessage } from "../../../src/services/LiveEvents.js"
import { ProjectAccess } from "../../../src/services/ProjectAccess.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { aProject, fresh, signUp } from "./Fixtures.js"

const LiveLive = (buffer = 100) =>
  LiveEvents.Default.pipe(
    Layer.provide(ProjectAccess.Default),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["LIVE_EVENTS_BUFFER", String(buffer)]]))))
  )

/** A reader of a stream, one message at a time; `None` once it has ended. */
const reader = (stream: Stream.Stream<LiveMessage, unknown>) =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(stream)
    const buffered: Array<LiveMessage> = []
    const next: Effect.Effect<Option.Option<string>> = Effect.suspend(() => {
      const message = buffered.shift()
      if (message !== undefined) return Effect.succeed(Option.some(message._tag === "Event" ? message.event.id : message._tag))
      return Effect.matchEffect(pull, {
        onFailure: () => Effect.succeedNone,
        onSuccess: (chunk) => Effect.suspend(() => (buffered.push(...Chunk.toReadonlyArray(chunk)), next))
      })
    })
    return next
  })

/** An owner's project, and a stream of it open from now on, once the tail has caught up. */
const watched = Effect.gen(function* () {
  const owner = yield* signUp()
  const project = yield* aProject(owner.actor)
  yield* TestClock.adjust("1 second")
  const live = yield* LiveEvents
  const next = yield* reader(yield* live.open(owner.actor, project.id, null))
  expect(yield* next).toStrictEqual(Option.some("Subscribed"))
  const event = (id: string = newId(EventId)): OutboxEnvelope =>
    anEnvelope({ id: EventId.make(id), type: "project.updated.v1", aggregateType: "project", aggregateId: project.id, payload: {} })
  return { live, next, event, outbox: yield* OutboxRepository }
})

describe("LiveEvents", () => {
  it.scoped("streams an event that commits after later ones did, once", () =>
    Effect.gen(function* () {
      const { event, next, outbox } = yield* watched
      const [early, later] = [event(), event()]
      yield* outbox.append([later])
      yield* TestClock.adjust("1 second")
      expect(yield* next).toStrictEqual(Option.some(later.id))
      yield* outbox.append([early])
      yield* TestClock.adjust("1 second")
      const after = event()
      yield* outbox.append([after])
      yield* TestClock.adjust("1 second")
      expect([yield* next, yield* next]).toStrictEqual([Option.some(early.id), Option.some(after.id)])
    }).pipe(Effect.provide(LiveLive()), fresh))

  it.scoped("ends the stream of a client that falls a whole buffer behind", () =>
    Effect.gen(function* () {
      const { event, live, next } = yield* watched
      yield* live.publish([event(), event(), event()])
      expect(yield* next).toStrictEqual(Option.none())
    }).pipe(Effect.provide(LiveLive(2)), fresh))

  it.effect("lets go of a subscription when its reader stops", () =>
    Effect.gen(function* () {
      const live = yield* LiveEvents
      const count = Effect.map(Stream.runHead(live.subscriberCounts), Option.getOrElse(() => -1))
      yield* Effect.scoped(Effect.flatMap(watched, () => Effect.flatMap(count, (open) => Effect.sync(() => expect(open).toBe(1)))))
      expect(yield* count).toBe(0)
    }).pipe(Effect.provide(LiveLive()), fresh))

  it.scoped("ends every open stream when it shuts down", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(LiveLive(), scope)
      const { next } = yield* Effect.provide(watched, context)
      yield* Scope.close(scope, Exit.void)
      expect(yield* next).toStrictEqual(Option.none())
    }).pipe(fresh))

  it("reads the time an id was minted, and makes the smallest id of a time", () => {
    const id = newId(EventId)
    expect(idAt(millisOf(id)) <= id).toBe(true)
    expect(idAt(millisOf(id) + 1) > id).toBe(true)
    expect(millisOf(idAt(1_767_225_600_123))).toBe(1_767_225_600_123)
  })
})
