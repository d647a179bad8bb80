import { DateTime, Effect, Option } from "effect"
import { projectIdOf } from "../../domain/Activity.js"
import type { EventType, OutboxEnvelope } from "../../domain/Events.js"
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

  const handle = Effect.fn("ProjectProgressHandler.handle")(function* (event: OutboxEnvelope) {
    const projectId = projectIdOf(event)
    if (Option.isNone(projectId)) return
    const id = projectId.value
    // Joins the runtime's unit of work; a unit of its own when called directly.
    yield* tx.transaction(
      Effect.gen(function* () {
        yield* progress.lock(id)
        if (event.type === "project.deleted.v1" || Option.isNone(yield* projects.findById(id))) return yield* progress.delete(id)
        const columns = yield* progress.countByColumn(id)
        const updatedAt = yield* DateTime.now
        yield* progress.save(new ProgressCounts({ projectId: id, columns, updatedAt, lastEventId: event.id }))
      })
    )
  })

  return {
    name: PROJECT_PROGRESS_HANDLER,
    types: PROGRESS_EVENT_TYPES,
    concurrency: 4,
    retry: handlerRetry,
    handle
  } satisfies EventHandler
})
