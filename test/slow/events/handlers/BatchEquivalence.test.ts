/**
 * A handler's `handleBatch` must be `handle` on each event in turn, applied together
 * (EventHandler.ts). For the two read models that offer it, the same realistic events are applied
 * both ways to the same store, the read model emptied in between, and the states compared; on the
 * in-memory fakes and on PGlite, where the batch forms use statements of their own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ServicesLive } from "../../../../layers/Services.js"
import type { OutboxEnvelope } from "../../../../src/domain/Events.js"
import type { ProjectId } from "../../../../src/domain/Ids.js"
import type { EventHandler } from "../../../../src/events/EventHandler.js"
import { ActivityFeedHandler } from "../../../../src/events/handlers/ActivityFeedHandler.js"
import { ProjectProgressHandler } from "../../../../src/events/handlers/ProjectProgressHandler.js"
import { wants } from "../../../../src/events/HandlerRegistry.js"
import { ActivityRepository } from "../../../../src/repositories/ActivityRepository.js"
import { OutboxRepository } from "../../../../src/repositories/OutboxRepository.js"
import { ProjectProgressRepository } from "../../../../src/repositories/ProjectProgressRepository.js"
import { SqlRepositoriesLive } from "../../../../src/repositories/sql/index.js"
import { PgliteTest } from "../../../support/Database.js"
import { fresh } from "../../../unit/services/Fixtures.js"
import { twoBusyProjects } from "../../../unit/events/handlers/Scenario.js"

const onPglite = Effect.provide(ServicesLive.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(PgliteTest)))

const feedOf = (projectId: ProjectId) =>
  Effect.flatMap(ActivityRepository, (activity) => activity.list({ projectId, types: [], limit: 100, before: null }))

const progressOf = (projectId: ProjectId) => Effect.flatMap(ProjectProgressRepository, (progress) => progress.find(projectId))

/** The scenario's events the handler takes, in outbox order, and its projects. */
const given = (handler: EventHandler) =>
  Effect.gen(function* () {
    const { alpha, beta, doomed } = yield* twoBusyProjects
    const events = (yield* Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll)).filter((event) => wants(handler, event.type))
    return { events, projects: [alpha.id, beta.id, doomed.id] as const }
  })

const oneByOne = (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>) => Effect.forEach(events, handler.handle, { discard: true })

const inOneCall = (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>) =>
  handler.handleBatch === undefined ? Effect.dieMessage(`${handler.name} offers no handleBatch`) : handler.handleBatch(events)

/** As the runtime hands them over when it splits a failed batch: consecutive slices, in order. */
const inSlicesOf = (size: number) => (handler: EventHandler, events: ReadonlyArray<OutboxEnvelope>) => {
  const slices = Array.from({ length: Math.ceil(events.length / size) }, (_, i) => events.slice(i * size, (i + 1) * size))
  return Effect.forEach(slices, (slice) => inOneCall(handler, slice), { discard: true })
}

/** The key a project was created with, from its `project.created.v1` event. */
const keyOf = (projectId: ProjectId, events: ReadonlyArray<OutboxEnvelope>) =>
  String(events.find((event) => event.type === "project.created.v1" && event.aggregateId === projectId)?.payload["key"])

/** The id of the last event among `events` that names `projectId` (as aggregate or in its payload). */
const lastOf = (projectId: ProjectId, events: ReadonlyArray<OutboxEnvelope>) =>
  events.filter((event) => event.aggregateId === projectId || event.payload["projectId"] === projectId).at(-1)?.id

const activityFeed = Effect.gen(function* () {
  const handler = yield* ActivityFeedHandler
  const activity = yield* ActivityRepository
  const { events, projects } = yield* given(handler)
  const [alpha, beta] = projects
  const state = Effect.forEach(projects, feedOf)

  yield* oneByOne(handler, events)
  const singly = yield* state
  // What both must be: every task change, newest first; nothing for the deleted project.
  expect(singly.map((feed) => feed.map((entry) => entry.summary))).toStrictEqual([
    [
      "moved task #1 “Write the plan” to “Done”",
      "updated task #1 “Write the plan” (title)",
      "deleted task #2",
      "moved task #1 “Write the plan” to “In progress”",
      "created task #2 “Throwaway”",
      "created task #1 “Draft the plan”",
      `created the project ${keyOf(alpha, events)}`
    ],
    [
      "created task #3 “Test it”",
      "moved task #1 “Order the parts” to “Review”",
      "moved task #2 “Assemble” to “Done”",
      "updated task #1 “Order the parts” (title)",
      "created task #2 “Assemble”",
      "created task #1 “Order parts”",
      `created the project ${keyOf(beta, events)}`
    ],
    []
  ])

  const reset = Effect.zipRight(
    Effect.forEach(projects, activity.deleteProject, { discard: true }),
    Effect.map(state, (feeds) => expect(feeds.flat()).toStrictEqual([]))
  )

  for (const together of [inOneCall, inSlicesOf(3)]) {
    yield* reset
    yield* together(handler, events)
    expect(yield* state).toStrictEqual(singly)
  }
})

const projectProgress = Effect.gen(function* () {
  const handler = yield* ProjectProgressHandler
  const progress = yield* ProjectProgressRepository
  const { events, projects } = yield* given(handler)
  const state = Effect.forEach(projects, progressOf)

  yield* oneByOne(handler, events)
  const singly = yield* state
  expect(
    singly.map(Option.map((counts) => ({ columns: counts.columns.map((c) => `${c.name}:${c.tasks}`), lastEventId: counts.lastEventId })))
  ).toStrictEqual([
    Option.some({ columns: ["Backlog:0", "To do:0", "In progress:0", "Review:0", "Done:1"], lastEventId: lastOf(projects[0], events) }),
    Option.some({ columns: ["Backlog:0", "To do:1", "In progress:0", "Review:1", "Done:1"], lastEventId: lastOf(projects[1], events) }),
    Option.none()
  ])

  const reset = Effect.zipRight(
    Effect.forEach(projects, progress.delete, { discard: true }),
    Effect.map(state, (counts) => expect(counts.every(Option.isNone)).toBe(true))
  )

  for (const together of [inOneCall, inSlicesOf(3)]) {
    yield* reset
    yield* together(handler, events)
    expect(yield* state).toStrictEqual(singly)
  }
})

const ACTIVITY = "activity feed: the same entries, summaries included, for two live projects and one deleted, in one call or in slices"
const PROGRESS = "project progress: the same counts, and the same last event, per project, in one call or in slices"

describe("handleBatch is handle applied in turn, on memory", () => {
  it.effect(ACTIVITY, () => activityFeed.pipe(fresh))
  it.effect(PROGRESS, () => projectProgress.pipe(fresh))
})

describe("handleBatch is handle applied in turn, on PGlite", () => {
  it.effect(ACTIVITY, () => activityFeed.pipe(onPglite))
  it.effect(PROGRESS, () => projectProgress.pipe(onPglite))
})
