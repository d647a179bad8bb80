import { DateTime, Effect, Option } from "effect"
import { projectIdOf } from "../../domain/Activity.js"
import type { EventType, OutboxEnvelope } from "../../domain/Events.js"
import type { ProjectId } from "../../domain/Ids.js"
import { ProgressCounts } from "../../domain/Progress.js"
import { ProjectProgressRepository } from "../../repositories/ProjectProgressRepository.js"
import { ProjectRepository } from "../../repositories/ProjectRepository.js"
import { Transactor } from "../../repositories/Transactor.js"
import { handlerRetry } from "../../resilience/RetrySchedules.js"
import type { EventHandler } from "../EventHandler.js"

export const PROJECT_PROGRESS_HANDLER = "project-progress"

/** The events that can change how many tasks sit in which column, or which columns count as done. */
export const PROGRESS_EVENT_TYPES: ReadonlyArray<EventType> = [
  "project.created.v1",
  "project.deleted.v1",
  "column.created.v1",
  "column.updated.v1",
  "column.deleted.v1",
  "columns.reordered.v1",
  "task.created.v1",
  "task.moved.v1",
  "task.deleted.v1"
]

/**
 * Project progress: on every event that can change it, the project's tasks are counted again
 * per column, inside the handler's unit of work, under the project's progress lock. Counting
 * rather than applying deltas makes the model self-healing (a lost or repeated event cannot
 * skew it) and order-insensitive: the count that commits last is the newest, because each one
 * is taken after the lock, after every change whose event is being handled has committed.
 */
export const ProjectProgressHandler = Effect.gen(function* () {
  const progress = yield* ProjectProgressRepository
  const projects = yield* ProjectRepository
  const tx = yield* Transactor

  // Counts one project now, after taking its lock; `lastEventId` names the event that caused it.
  const recount = (id: ProjectId, lastEventId: string, deleted: boolean) =>
    Effect.gen(function* () {
      yield* progress.lock(id)
      if (deleted || Option.isNone(yield* projects.findById(id))) return yield* progress.delete(id)
      const columns = yield* progress.countByColumn(id)
      const updatedAt = yield* DateTime.now
      yield* progress.save(new ProgressCounts({ projectId: id, columns, updatedAt, lastEventId }))
    })

  const handle = Effect.fn("ProjectProgressHandler.handle")(function* (event: OutboxEnvelope) {
    const projectId = projectIdOf(event)
    if (Option.isNone(projectId)) return
    // Joins the runtime's unit of work; a unit of its own when called directly.
    yield* tx.transaction(recount(projectId.value, event.id, event.type === "project.deleted.v1"))
  })

  /**
   * Many events, one count per project: a count reflects every change committed before it, so
   * the last event of each project in the batch stands for all of them. Projects are locked in
   * id order, so two batches sharing projects cannot deadlock on their locks.
   */
  const handleBatch = Effect.fn("ProjectProgressHandler.handleBatch")(function* (events: ReadonlyArray<OutboxEnvelope>) {
    const last = new Map<ProjectId, { readonly eventId: string; readonly deleted: boolean }>()
    for (const event of events) {
      const projectId = projectIdOf(event)
      if (Option.isNone(projectId)) continue
      const before = last.get(projectId.value)
      last.set(projectId.value, { eventId: event.id, deleted: (before?.deleted ?? false) || event.type === "project.deleted.v1" })
    }
    const ids = [...last.keys()].sort()
    yield* tx.transaction(Effect.forEach(ids, (id) => recount(id, last.get(id)!.eventId, last.get(id)!.deleted), { discard: true }))
  })

  return {
    name: PROJECT_PROGRESS_HANDLER,
    types: PROGRESS_EVENT_TYPES,
    concurrency: 4,
    retry: handlerRetry,
    handle,
    handleBatch
  } satisfies EventHandler
})
