import { SqlClient } from "@effect/sql"
import { OutboxWakeUpLive } from "../../../src/repositories/sql/OutboxWakeUp.js"
import { describe, expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { ServicesLive } from "../../../layers/Services.js"
import { TestLive } from "../../../layers/Test.js"
import { DeadLetterRepository } from "../../../src/repositories/DeadLetterRepository.js"
import { MaintenanceRepository } from "../../../src/repositories/MaintenanceRepository.js"
import { SqlRepositoriesLive, SqlTransactorLive } from "../../../src/repositories/sql/index.js"
import { SqlJobRepositoryLive } from "../../../src/repositories/sql/SqlJobRepository.js"
import { Transactor } from "../../../src/repositories/Transactor.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { aProject, aTask, columnsByName, signUp } from "../../unit/services/Fixtures.js"
import { givenDeadLetter } from "../../support/DeadLetters.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../../support/Database.js"
import { jobRepositoryContract } from "./JobRepositoryContract.js"

/**
 * The job system's SQL: the repository contract, and the maintenance statements (overdue marks,
 * retention) on the real schema. One file, so the PGlite template is made once for all of it.
 */
const adapters = Layer.mergeAll(SqlJobRepositoryLive, SqlTransactorLive.pipe(Layer.provide(OutboxWakeUpLive)))
jobRepositoryContract("SqlJobRepository on PGlite", adapters.pipe(Layer.provide(PgliteTest)))
describe.skipIf(skipPostgres)("Postgres", () => {
  jobRepositoryContract("SqlJobRepository on Postgres", adapters.pipe(Layer.provide(PostgresTest)))
})

const minutes = (n: number) => DateTime.add(DateTime.unsafeMake(0), { minutes: n })

/**
 * The counts operators watch, the same on every adapter — except the outbox backlog, which only
 * a database with a relay has (the in-memory outbox is delivered inline and reports none).
 */
const countsName = "counts unpublished outbox rows, pending dead letters and overdue tasks not in a done column"
const countsBehaviour = (relayed: boolean) =>
    Effect.gen(function* () {
      const maintenance = yield* MaintenanceRepository
      const eventCount = Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (events) => events.length)
      const before = yield* maintenance.counts(minutes(15))
      const eventsBefore = yield* eventCount
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const column = yield* columnsByName(owner.actor, project.id)
      yield* aTask(owner.actor, project.id, { title: "Late", dueAt: minutes(10) })
      yield* aTask(owner.actor, project.id, { title: "Later", dueAt: minutes(120) })
      yield* aTask(owner.actor, project.id, { title: "Done", dueAt: minutes(5), columnId: column("Done") })
      const replayed = yield* givenDeadLetter("counts-test")
      yield* givenDeadLetter("counts-test")
      yield* Effect.flatMap(DeadLetterRepository, (letters) => letters.markReplayed(replayed.id, null, replayed.lastFailedAt))
      const newEvents = (yield* eventCount) - eventsBefore

      const after = yield* maintenance.counts(minutes(15))
      expect({
        outboxBacklog: after.outboxBacklog - before.outboxBacklog,
        deadLetters: after.deadLetters - before.deadLetters,
        overdueTasks: after.overdueTasks - before.overdueTasks
      }).toEqual({ outboxBacklog: relayed ? newEvents : 0, deadLetters: 1, overdueTasks: 1 })
    })

layer(TestLive)("operational counts in memory", (it) => {
  it.effect(countsName, () => countsBehaviour(false))
})

layer(ServicesLive.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(PgliteTest)))("maintenance on PGlite", (it) => {
  it.effect("marks a task overdue once per due date, never in a done column, in concurrent units too", () =>
    Effect.gen(function* () {
      const maintenance = yield* MaintenanceRepository
      const { transaction } = yield* Transactor
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const column = yield* columnsByName(owner.actor, project.id)
      const late = yield* aTask(owner.actor, project.id, { title: "Late", dueAt: minutes(10) })
      yield* aTask(owner.actor, project.id, { title: "Later", dueAt: minutes(120) })
      yield* aTask(owner.actor, project.id, { title: "Done", dueAt: minutes(5), columnId: column("Done") })
      const mark = transaction(maintenance.markOverdue(minutes(15), 100))
      const [a, b] = yield* Effect.all([mark, mark], { concurrency: 2 })
      expect([...a, ...b]).toEqual([
        { taskId: late.id, projectId: project.id, number: late.number, title: "Late", dueAt: minutes(10), assigneeId: null, version: 1 }
      ])
      expect(yield* mark).toEqual([])
    }))

  it.effect("prunes outbox rows published before the cutoff and old dead letters, nothing else", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const maintenance = yield* MaintenanceRepository
      const owner = yield* signUp()
      yield* aProject(owner.actor)
      const events = yield* Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll)
      const [old, recent] = events
      yield* sql`UPDATE outbox SET published_at = ${new Date(Date.UTC(2020, 0, 1))} WHERE id = ${old!.id}`
      yield* sql`UPDATE outbox SET published_at = ${new Date(Date.UTC(2020, 0, 20))} WHERE id = ${recent!.id}`
      const cutoff = DateTime.unsafeMake(Date.UTC(2020, 0, 10))
      expect(yield* maintenance.pruneOutbox(cutoff, 100)).toBe(1)
      const left = yield* sql<{ readonly id: string }>`SELECT id FROM outbox ORDER BY id`
      expect(left.map((r) => r.id)).toEqual(events.slice(1).map((e) => e.id))

      const letter = yield* givenDeadLetter("retention-test")
      expect(yield* maintenance.pruneDeadLetters(DateTime.subtract(letter.lastFailedAt, { days: 1 }), 100)).toBe(0)
      expect(yield* maintenance.pruneDeadLetters(DateTime.add(letter.lastFailedAt, { seconds: 1 }), 100)).toBe(1)
    }))

  // Last: it adds overdue tasks the marking test above would otherwise see.
  it.effect(countsName, () => countsBehaviour(true))
})
