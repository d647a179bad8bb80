import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { servicesWith } from "../../../layers/Services.js"
import { HandlersLive } from "../../../layers/Handlers.js"
import { RepositoryError } from "../../../src/domain/Errors.js"
import { BulkTasks } from "../../../src/domain/JobRequests.js"
import { CreateTask } from "../../../src/domain/Requests.js"
import { jobRunner } from "../../../src/jobs/JobRunner.js"
import { MemoryRepositoriesLive } from "../../../src/repositories/memory/index.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { BulkTaskService } from "../../../src/services/BulkTaskService.js"
import { aProject, allEvents, signUp, taskRows } from "../services/Fixtures.js"
import { eventually, options, untilDue } from "./Support.js"

/** Counts outbox appends and fails the one numbered `failAt` (once), as a dropped connection would. */
class Fault extends Effect.Service<Fault>()("test/BulkFault", { effect: Effect.map(Ref.make({ appends: 0, failAt: -1 }), (state) => ({ state })) }) {}

const FlakyOutbox = Layer.effect(
  OutboxRepository,
  Effect.gen(function* () {
    const real = yield* OutboxRepository
    const { state } = yield* Fault
    return OutboxRepository.of({
      append: (events) =>
        Effect.flatMap(
          Ref.modify(state, (s) => [s.appends + 1 === s.failAt, { ...s, appends: s.appends + 1 }]),
          (fail) => (fail ? Effect.fail(new RepositoryError({ message: "connection lost", transient: true })) : real.append(events))
        ),
      listAll: real.listAll
    })
  })
)

const Stack = jobRunner(options("w1")).pipe(
  Layer.provideMerge(servicesWith(HandlersLive)),
  Layer.provideMerge(FlakyOutbox),
  Layer.provideMerge(MemoryRepositoriesLive),
  Layer.provideMerge(Fault.Default)
)

describe("a bulk job after a failed attempt", () => {
  it.scoped("resumes after its last committed batch: no operation is applied twice, none is lost", () =>
    Effect.gen(function* () {
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const { state } = yield* Fault
      const before = (yield* allEvents).length
      // The 130th event of the job is lost with its connection: the second batch rolls back.
      yield* Ref.update(state, (s) => ({ ...s, appends: before, failAt: before + 130 }))
      const operations = Array.from({ length: 150 }, (_, i) => ({ op: "create" as const, ...new CreateTask({ title: `T${i}` }) }))
      const bulk = yield* BulkTaskService
      const { jobId } = yield* bulk.submit(owner.actor, project.id, new BulkTasks({ operations }), null)

      const retrying = yield* eventually(jobId, (j) => j.status === "queued" && j.attempts === 1, "its retry")
      expect(retrying).toMatchObject({ error: "a dependency was unavailable", progress: { done: 100, total: 150 } })
      expect(yield* taskRows(project.id)).toHaveLength(100)
      yield* untilDue(retrying)
      const done = yield* eventually(jobId, (j) => j.status === "succeeded")
      expect(done).toMatchObject({ attempts: 2, progress: { done: 150, total: 150 }, result: { succeeded: 150, failed: 0 } })
      const tasks = yield* taskRows(project.id)
      expect(tasks.map((t) => t.title).sort()).toEqual(operations.map((o) => o.title).sort())
      expect(new Set(tasks.map((t) => t.number)).size).toBe(150)
      expect((yield* allEvents).filter((e) => e.type === "task.created.v1")).toHaveLength(150)
    }).pipe(Effect.provide(Stack))
  )
})
