import { Effect } from "effect"
import { MoveTask, UpdateTask } from "../../../../src/domain/Requests.js"
import { ProjectService } from "../../../../src/services/ProjectService.js"
import { TaskService } from "../../../../src/services/TaskService.js"
import { aProject, aTask, columnsByName, signUp } from "../../services/Fixtures.js"

/**
 * A realistic stretch of board work, through the services so the outbox holds the events they
 * really record: two projects whose tasks are created, moved, updated and deleted, interleaved,
 * and a third project that gets a task and is then deleted (so its earlier events are late).
 */
export const twoBusyProjects = Effect.gen(function* () {
  const tasks = yield* TaskService
  const owner = yield* signUp({ name: "Olive" })
  const alpha = yield* aProject(owner.actor, { name: "Alpha" })
  const beta = yield* aProject(owner.actor, { name: "Beta" })
  const doomed = yield* aProject(owner.actor, { name: "Doomed" })
  const inAlpha = yield* columnsByName(owner.actor, alpha.id)
  const inBeta = yield* columnsByName(owner.actor, beta.id)

  const a1 = yield* aTask(owner.actor, alpha.id, { title: "Draft the plan" })
  const b1 = yield* aTask(owner.actor, beta.id, { title: "Order parts" })
  const a2 = yield* aTask(owner.actor, alpha.id, { title: "Throwaway" })
  const b2 = yield* aTask(owner.actor, beta.id, { title: "Assemble" })
  yield* aTask(owner.actor, doomed.id, { title: "Never mind" })
  const a1Moved = yield* tasks.move(owner.actor, a1.id, new MoveTask({ version: a1.version, columnId: inAlpha("In progress") }))
  const b1Renamed = yield* tasks.update(owner.actor, b1.id, new UpdateTask({ version: b1.version, title: "Order the parts" }))
  yield* tasks.move(owner.actor, b2.id, new MoveTask({ version: b2.version, columnId: inBeta("Done") }))
  yield* tasks.delete(owner.actor, a2.id)
  const a1Renamed = yield* tasks.update(owner.actor, a1.id, new UpdateTask({ version: a1Moved.version, title: "Write the plan" }))
  yield* tasks.move(owner.actor, a1.id, new MoveTask({ version: a1Renamed.version, columnId: inAlpha("Done") }))
  yield* tasks.move(owner.actor, b1.id, new MoveTask({ version: b1Renamed.version, columnId: inBeta("Review") }))
  yield* aTask(owner.actor, beta.id, { title: "Test it", columnId: inBeta("To do") })
  yield* Effect.flatMap(ProjectService, (projects) => projects.delete(owner.actor, doomed.id))
  return { owner, alpha, beta, doomed }
})
