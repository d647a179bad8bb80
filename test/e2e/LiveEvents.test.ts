import { expect, layer } from "@effect/vitest"
import { Effect, Option, Schema, TestClock } from "effect"
import { projectIdOf } from "../../src/domain/Activity.js"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import type { ProjectId } from "../../src/domain/Ids.js"
import { CreateTask } from "../../src/domain/Requests.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { expectError, get, makeProject, Scene, SceneLive } from "./Harness.js"
import { type Frame, openEvents } from "./LiveEventsClient.js"

/** The project's events in the outbox, in id order: what the stream should carry. */
const eventsOf = (projectId: ProjectId) =>
  Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (all) =>
    all.filter((event) => Option.contains(projectIdOf(event), projectId))
  )

const Data = Schema.parseJson(Schema.Struct({ id: Schema.String, type: Schema.String, aggregateId: Schema.String, payload: Schema.Unknown }))
const message = (frame: Frame) => ({ id: frame.id, event: frame.event, data: Schema.decodeUnknownSync(Data)(frame.data) })
const expected = (event: OutboxEnvelope) => ({
  id: event.id,
  event: event.type,
  data: { id: event.id, type: event.type, aggregateId: event.aggregateId, payload: event.payload }
})

/**
 * The tail reads the outbox every 500 ms of the test clock: one second is at least one read. A
 * test ticks once after its set-up, so the tail is as far as it would be in a running server.
 */
const tick = TestClock.adjust("1 second")

layer(SceneLive)("the live event stream", (it) => {
  it.scoped("replays what came after Last-Event-ID, then streams new events live, and resumes from the last one", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* makeProject(cast, "LIVE")
      const addTask = (title: string) => cast.editor.client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title }) })
      yield* addTask("First")
      yield* tick
      const history = yield* eventsOf(project.id)
      expect(history.length).toBeGreaterThanOrEqual(4)

      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const stream = yield* openEvents(project.id, { token: cast.viewer.token, lastEventId: history[1]!.id })
          expect(stream.status).toBe(200)
          expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/)
          expect(stream.headers["cache-control"]).toBe("no-store")
          expect(yield* stream.next).toStrictEqual({ retry: "3000" })
          const replayed = yield* Effect.forEach(history.slice(2), () => stream.nextEvent)
          expect(replayed.map(message)).toStrictEqual(history.slice(2).map(expected))
          // The envelope without the tracing internals.
          expect(replayed.map((frame) => /traceparent|causationId/.test(frame.data ?? ""))).not.toContain(true)

          yield* addTask("Second")
          yield* tick
          const [second] = (yield* eventsOf(project.id)).slice(history.length)
          expect(message(yield* stream.nextEvent)).toStrictEqual(expected(second!))
          return second!
        })
      )

      // Reconnecting with the last id seen: only what came later, and nothing of another project.
      const other = yield* makeProject(cast, "OTHER")
      yield* tick
      const stream = yield* openEvents(project.id, { token: cast.viewer.token, lastEventId: first.id })
      expect(yield* stream.next).toStrictEqual({ retry: "3000" })
      yield* cast.owner.client.tasks.createTask({ path: { projectId: other.project.id }, payload: new CreateTask({ title: "Elsewhere" }) })
      yield* addTask("Third")
      yield* tick
      const third = (yield* eventsOf(project.id)).at(-1)!
      expect(third.payload["title"]).toBe("Third")
      expect(message(yield* stream.nextEvent)).toStrictEqual(expected(third))
    })
  )

  it.scoped("sends a heartbeat comment every 15 seconds", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* makeProject(cast, "BEAT")
      yield* tick
      const stream = yield* openEvents(project.id, { token: cast.owner.token })
      expect(yield* stream.next).toStrictEqual({ retry: "3000" })
      yield* TestClock.adjust("15 seconds")
      expect(yield* stream.next).toStrictEqual({ comment: "heartbeat" })
    })
  )

  it.effect("is for members only, and takes the key from the header or ?access_token=", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* makeProject(cast, "GATE")
      const path = `/api/v1/projects/${project.id}/events`
      expectError(yield* get(path, cast.outsider.token), 404, "NotFound")
      expectError(yield* get(path), 401, "Unauthorized")
      expectError(yield* get(`${path}?access_token=not-a-key`), 401, "Unauthorized")
      expectError(yield* get(path, cast.owner.token, { "last-event-id": "not-an-id" }), 400, "ValidationError")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const stream = yield* openEvents(project.id, { query: `?access_token=${encodeURIComponent(cast.viewer.readToken)}` })
          expect({ status: stream.status, first: yield* stream.next }).toStrictEqual({ status: 200, first: { retry: "3000" } })
        })
      )
    })
  )
})
