import { Effect, Either, Option, Schema } from "effect"
import { ACTIVITY_EVENT_TYPES, ActivityEntry, projectIdOf } from "../../domain/Activity.js"
import type { RepositoryError } from "../../domain/Errors.js"
import { decodePayload } from "../../domain/DomainEvents.js"
import type { OutboxEnvelope } from "../../domain/Events.js"
import { type ProjectId, TaskId } from "../../domain/Ids.js"
import { ActivityRepository } from "../../repositories/ActivityRepository.js"
import { ColumnRepository } from "../../repositories/ColumnRepository.js"
import { ProjectRepository } from "../../repositories/ProjectRepository.js"
import { TaskRepository } from "../../repositories/TaskRepository.js"
import { UserRepository } from "../../repositories/UserRepository.js"
import { handlerRetry } from "../../resilience/RetrySchedules.js"
import type { EventHandler } from "../EventHandler.js"
import { type Names, summarise } from "./ActivitySummary.js"

export const ACTIVITY_FEED_HANDLER = "activity-feed"

// Payloads are data from the past, not trusted shapes: ids are read from them only if they decode.
const taskIdOf = Schema.decodeUnknownOption(TaskId)

/**
 * The activity feed: one entry per project event, keyed by the event id, so a second delivery
 * (which the runtime's inbox already skips) would change nothing either. Entries of a deleted
 * project are forgotten with it; events of a project that no longer exists write nothing.
 */
export const ActivityFeedHandler = Effect.gen(function* () {
  const activity = yield* ActivityRepository
  const projects = yield* ProjectRepository
  const tasks = yield* TaskRepository
  const columns = yield* ColumnRepository
  const users = yield* UserRepository

  // Names the payload does not carry, as they are now; a summary is written once, when handled.
  const lookUp = (event: OutboxEnvelope): Effect.Effect<Names, RepositoryError> => {
    const payload = Either.getRight(decodePayload(event.type, event.payload))
    return Effect.all({
      task: Option.match(event.aggregateType === "task" && !Option.exists(payload, (p) => "title" in p) ? taskIdOf(event.aggregateId) : Option.none(), {
        onNone: () => Effect.succeedNone,
        onSome: (id) => Effect.map(tasks.findById(id), Option.map((task) => ({ number: task.number, title: task.title })))
      }),
      column: Option.match(Option.flatMap(payload, (p) => (p.type === "task.moved.v1" ? Option.some(p.toColumnId) : Option.none())), {
        onNone: () => Effect.succeedNone,
        onSome: (id) => Effect.map(columns.findById(id), Option.map((column) => column.name))
      }),
      user: Option.match(Option.flatMap(payload, (p) => ("userId" in p ? Option.some(p.userId) : Option.none())), {
        onNone: () => Effect.succeedNone,
        onSome: (id) => Effect.map(users.findById(id), Option.map((user) => user.name))
      })
    })
  }

  const entryOf = (event: OutboxEnvelope, projectId: ProjectId, names: Names) =>
    new ActivityEntry({
      id: event.id,
      projectId,
      type: event.type,
      aggregateType: event.aggregateType,
      aggregateId: event.aggregateId,
      actor: event.actor,
      occurredAt: event.occurredAt,
      summary: summarise(event, names),
      payload: event.payload
    })

  const handle = Effect.fn("ActivityFeedHandler.handle")(function* (event: OutboxEnvelope) {
    const projectId = projectIdOf(event)
    if (Option.isNone(projectId)) return
    if (event.type === "project.deleted.v1") return yield* activity.deleteProject(projectId.value)
    if (Option.isNone(yield* projects.findById(projectId.value))) return
    yield* activity.record(entryOf(event, projectId.value, yield* lookUp(event)))
  })

  /**
   * The same effect for many events: whether each project exists is read once per batch, the
   * entries are stored in one statement. A project's deletion in the batch first stores the
   * entries gathered so far, then forgets the project's feed, as one event at a time would.
   */
  const handleBatch = Effect.fn("ActivityFeedHandler.handleBatch")(function* (events: ReadonlyArray<OutboxEnvelope>) {
    const exists = new Map<ProjectId, boolean>()
    let pending: Array<ActivityEntry> = []
    const flush = Effect.suspend(() => {
      const entries = pending
      pending = []
      return entries.length === 0 ? Effect.void : Effect.asVoid(activity.recordMany(entries))
    })
    for (const event of events) {
      const projectId = projectIdOf(event)
      if (Option.isNone(projectId)) continue
      const id = projectId.value
      if (event.type === "project.deleted.v1") {
        yield* flush
        yield* activity.deleteProject(id)
        exists.set(id, false)
        continue
      }
      const known = exists.get(id) ?? Option.isSome(yield* projects.findById(id))
      exists.set(id, known)
      if (!known) continue
      pending.push(entryOf(event, id, yield* lookUp(event)))
    }
    yield* flush
  })

  return {
    name: ACTIVITY_FEED_HANDLER,
    types: ACTIVITY_EVENT_TYPES,
    concurrency: 8,
    retry: handlerRetry,
    handle,
    handleBatch
  } satisfies EventHandler
})
