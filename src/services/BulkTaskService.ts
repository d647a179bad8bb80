import { Array as Arr, Effect, Either, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { NotFound } from "../domain/Errors.js"
import type { ProjectId, TaskId } from "../domain/Ids.js"
import { accepted } from "../domain/Job.js"
import { type BulkOperation, type BulkOutcome, BulkPayload, BulkResult, type BulkTasks } from "../domain/JobRequests.js"
import { actorOf, inBatches, settle } from "../jobs/Batches.js"
import { JobQueue } from "../jobs/JobQueue.js"
import { handle, jobType } from "../jobs/JobType.js"
import { Transactor } from "../repositories/Transactor.js"
import { UserRepository } from "../repositories/UserRepository.js"
import { ProjectAccess } from "./ProjectAccess.js"
import { TaskService } from "./TaskService.js"

/** Up to 1,000 task operations as one job: retried from its last committed batch (see `inBatches`). */
export const BulkTasksJob = jobType("tasks.bulk.v1", { payload: BulkPayload, result: BulkResult }, { maxAttempts: 3 })

const emptyResult: BulkResult = { succeeded: 0, failed: 0, outcomes: [] }

/**
 * Bulk task operations through `TaskService`, so WIP limits, versions, membership and events
 * apply to each exactly as to a single request. An operation that breaks a rule is recorded as
 * failed and undone alone (its own savepoint); the rest of its batch commits.
 */
export class BulkTaskService extends Effect.Service<BulkTaskService>()("flowboard/BulkTaskService", {
  effect: Effect.gen(function* () {
    const tasks = yield* TaskService
    const access = yield* ProjectAccess
    const queue = yield* JobQueue
    const users = yield* UserRepository
    const tx = yield* Transactor

    /** Moves and updates name tasks of the job's project only; any other task does not exist for it. */
    const inProject = (actor: Actor, projectId: ProjectId, taskId: TaskId) =>
      Effect.filterOrFail(tasks.get(actor, taskId), (task) => task.projectId === projectId, () => NotFound.of("task", taskId))

    const apply = (actor: Actor, projectId: ProjectId, operation: BulkOperation) => {
      switch (operation.op) {
        case "create": {
          const { op: _, ...input } = operation
          return tasks.create(actor, projectId, input)
        }
        case "move": {
          const { op: _, taskId, ...input } = operation
          return Effect.zipRight(inProject(actor, projectId, taskId), tasks.move(actor, taskId, input))
        }
        case "update": {
          const { op: _, taskId, ...input } = operation
          return Effect.zipRight(inProject(actor, projectId, taskId), tasks.update(actor, taskId, input))
        }
      }
    }

    const outcome = (index: number, operation: BulkOperation, actor: Actor, projectId: ProjectId) =>
      Effect.map(
        settle(tx.transaction, apply(actor, projectId, operation)),
        Either.match({
          onLeft: (error): BulkOutcome => ({ index, op: operation.op, status: "error", error }),
          onRight: (task): BulkOutcome => ({ index, op: operation.op, status: "ok", taskId: task.id, version: task.version })
        })
      )

    const handler = handle(BulkTasksJob, ({ operations, projectId }, { checkpoint, job, resumed }) =>
      Effect.gen(function* () {
        const actor = yield* actorOf(users, job)
        const previous = Option.getOrElse(resumed, () => emptyResult)
        return yield* inBatches({
          total: operations.length,
          done: previous.outcomes.length,
          state: previous,
          transaction: tx.transaction,
          checkpoint,
          batch: (from, to, state) =>
            Effect.map(
              Effect.forEach(operations.slice(from, to), (operation, i) => outcome(from + i, operation, actor, projectId)),
              (outcomes): BulkResult => ({
                succeeded: state.succeeded + Arr.filter(outcomes, (o) => o.status === "ok").length,
                failed: state.failed + Arr.filter(outcomes, (o) => o.status === "error").length,
                outcomes: [...state.outcomes, ...outcomes]
              })
            )
        })
      }).pipe(Effect.withSpan("BulkTaskService.run", { attributes: { "job.id": job.id, operations: operations.length } }))
    )

    return {
      handlers: [handler],
      submit: Effect.fn("BulkTaskService.submit")(function* (actor: Actor, projectId: ProjectId, request: BulkTasks, idempotencyKey: string | null) {
        yield* access.require(actor, projectId, "editor")
        const { job } = yield* queue.enqueue(
          BulkTasksJob,
          { projectId, operations: request.operations },
          { createdBy: actor.user.id, ...(idempotencyKey === null ? {} : { idempotencyKey: `${actor.user.id}:${idempotencyKey}` }) }
        )
        return accepted(job)
      })
    } as const
  })
}) {}
