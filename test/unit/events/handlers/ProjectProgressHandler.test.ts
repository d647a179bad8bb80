import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, TestClock } from "effect"
import type { Actor } from "../../../../src/domain/Actor.js"
import type { ProjectId } from "../../../../src/domain/Ids.js"
import { MoveTask, UpdateColumn } from "../../../../src/domain/Requests.js"
import { ProjectProgressHandler } from "../../../../src/events/handlers/ProjectProgressHandler.js"
import { ProjectProgressRepository } from "../../../../src/repositories/ProjectProgressRepository.js"
import { BoardService } from "../../../../src/services/BoardService.js"
import { ProjectProgressService } from "../../../../src/services/ProjectProgressService.js"
import { ProjectService } from "../../../../src/services/ProjectService.js"
import { TaskService } from "../../../../src/services/TaskService.js"
import { aProject, aTask, columnsByName, fresh, signUp } from "../../services/Fixtures.js"
import { handleRecorded } from "./Drive.js"

const NOW = DateTime.unsafeMake("2026-03-01T12:00:00Z")
const days = (n: number) => DateTime.add(NOW, { days: n })

const progressOf = (actor: Actor, projectId: ProjectId) =>
  Effect.map(
    Effect.flatMap(ProjectProgressService, (service) => service.details(actor, projectId)),
    ({ progress: { columns, updatedAt: _, ...totals } }) => ({ columns: columns.map((c) => `${c.name}:${c.tasks}`), ...totals })
  )

/** A project with three tasks in `To do` (one overdue, one due later, one without a date) and one in `Done`, overdue but done. */
const givenProject = Effect.gen(function* () {
  yield* TestClock.setTime(DateTime.toEpochMillis(NOW))
  const owner = yield* signUp()
  const project = yield* aProject(owner.actor)
  const column = yield* columnsByName(owner.actor, project.id)
  const tasks = yield* TaskService
  const late = yield* aTask(owner.actor, project.id, { columnId: column("To do"), dueAt: days(-1) })
  yield* aTask(owner.actor, project.id, { columnId: column("To do"), dueAt: days(1) })
  yield* aTask(owner.actor, project.id, { columnId: column("To do") })
  const shipped = yield* aTask(owner.actor, project.id, { columnId: column("To do"), dueAt: days(-2) })
  yield* tasks.move(owner.actor, shipped.id, new MoveTask({ version: shipped.version, columnId: column("Done") }))
  return { owner, project, column, late }
})

describe("ProjectProgressHandler", () => {
  it.effect("counts tasks per column, done, percent done and overdue after tasks are created and moved", () =>
    Effect.gen(function* () {
      const handler = yield* ProjectProgressHandler
      const { owner, project } = yield* givenProject
      yield* handleRecorded(handler)
      expect(yield* progressOf(owner.actor, project.id)).toStrictEqual({
        columns: ["Backlog:0", "To do:3", "In progress:0", "Review:0", "Done:1"],
        total: 4,
        done: 1,
        percentDone: 25,
        overdue: 1
      })
      const details = yield* Effect.flatMap(ProjectProgressService, (service) => service.details(owner.actor, project.id))
      expect(details.progress.updatedAt).toStrictEqual(NOW)
      expect(details.key).toBe(project.key)
    }).pipe(fresh))

  it.effect("serves zero counts until the first event is handled; overdue is counted at read time", () =>
    Effect.gen(function* () {
      const { owner, project } = yield* givenProject
      const details = yield* Effect.flatMap(ProjectProgressService, (service) => service.details(owner.actor, project.id))
      expect({ ...details.progress, columns: details.progress.columns.length }).toStrictEqual({
        columns: 0, total: 0, done: 0, percentDone: 0, overdue: 1, updatedAt: null
      })
      yield* TestClock.adjust("2 days")
      expect((yield* progressOf(owner.actor, project.id)).overdue).toBe(2)
    }).pipe(fresh))

  it.effect("follows a column becoming done, and is the same however often an event is handled", () =>
    Effect.gen(function* () {
      const handler = yield* ProjectProgressHandler
      const { column, owner, project } = yield* givenProject
      yield* Effect.flatMap(BoardService, (board) => board.updateColumn(owner.actor, project.id, column("To do"), new UpdateColumn({ isDone: true })))
      const events = yield* handleRecorded(handler)
      yield* handler.handle(events[1]!)
      yield* handler.handle(events[0]!)
      expect(yield* progressOf(owner.actor, project.id)).toMatchObject({ total: 4, done: 4, percentDone: 100, overdue: 0 })
    }).pipe(fresh))

  it.effect("forgets a deleted project's progress", () =>
    Effect.gen(function* () {
      const handler = yield* ProjectProgressHandler
      const { owner, project } = yield* givenProject
      yield* handleRecorded(handler)
      yield* Effect.flatMap(ProjectService, (projects) => projects.delete(owner.actor, project.id))
      yield* handleRecorded(handler)
      expect((yield* (yield* ProjectProgressRepository).find(project.id))._tag).toBe("None")
    }).pipe(fresh))
})
