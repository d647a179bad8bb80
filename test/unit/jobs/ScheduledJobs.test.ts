import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Layer, Stream, TestClock } from "effect"
import { TestLive } from "../../../layers/Test.js"
import { Attachment } from "../../../src/domain/Attachment.js"
import { AttachmentId, type TaskId, uuidv7, uuidv7Millis } from "../../../src/domain/Ids.js"
import { UpdateTask } from "../../../src/domain/Requests.js"
import { JobQueue } from "../../../src/jobs/JobQueue.js"
import { jobRunner } from "../../../src/jobs/JobRunner.js"
import { jobScheduler, type SchedulerOptions } from "../../../src/jobs/JobScheduler.js"
import { OverdueRemindersJob, sweepOrphanedAttachments } from "../../../src/jobs/ScheduledJobs.js"
import { AttachmentRepository } from "../../../src/repositories/AttachmentRepository.js"
import { AttachmentStorage } from "../../../src/repositories/AttachmentStorage.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { aProject, aTask, allEvents, columnsByName, signUp } from "../services/Fixtures.js"
import { jobNow, options } from "./Support.js"

const schedule: SchedulerOptions = {
  reminderInterval: "1 minute",
  retentionInterval: "1 hour",
  outboxRetentionDays: 7,
  deadLetterRetentionDays: 30,
  jobRetentionDays: 30,
  auditRetentionDays: 365
}

/** The whole service stack in memory, with a runner and two schedulers, as two processes would run them. */
const Scheduled = Layer.mergeAll(jobRunner(options("w1", { pollInterval: "1 hour" })), jobScheduler(schedule), jobScheduler(schedule)).pipe(Layer.provideMerge(TestLive))

const minutes = (n: number) => DateTime.add(DateTime.unsafeMake(0), { minutes: n })

/** Moves the clock a minute at a time, letting each scheduler tick and the runner work. */
const passMinutes = (n: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < n; i++) {
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Effect.repeatN(Effect.yieldNow(), 20)
    }
  })

const overdueEvents = Effect.map(allEvents, (events) => events.filter((e) => e.type === "task.overdue.v1"))

describe("scheduled jobs", () => {
  it.scoped("record task.overdue.v1 once per task and due date, through the outbox, whatever the number of schedulers", () =>
    Effect.gen(function* () {
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const column = yield* columnsByName(owner.actor, project.id)
      const late = yield* aTask(owner.actor, project.id, { title: "Late", dueAt: minutes(10) })
      yield* aTask(owner.actor, project.id, { title: "Later", dueAt: minutes(120) })
      yield* aTask(owner.actor, project.id, { title: "Done already", dueAt: minutes(5), columnId: column("Done") })
      yield* aTask(owner.actor, project.id, { title: "No due date" })

      yield* passMinutes(15)
      const first = yield* overdueEvents
      expect(first.map((e) => [e.aggregateId, e.aggregateVersion, e.actor, e.payload])).toEqual([
        [late.id, 1, null, { projectId: project.id, number: late.number, title: "Late", dueAt: "1970-01-01T00:10:00.000Z", assigneeId: null }]
      ])

      // One job per period, though two schedulers enqueued it.
      const queue = yield* JobQueue
      const period = String(Duration.toMillis(Duration.minutes(15)))
      const again = yield* queue.enqueue(OverdueRemindersJob, {}, { idempotencyKey: period })
      expect(again.created).toBe(false)
      expect(yield* jobNow(again.job.id)).toMatchObject({ status: "succeeded", result: { reminded: 0 } })

      // A new due date that passes in turn is reminded again.
      const tasks = yield* TaskService
      yield* tasks.update(owner.actor, late.id as TaskId, new UpdateTask({ version: late.version, dueAt: minutes(30) }))
      yield* passMinutes(20)
      expect((yield* overdueEvents).map((e) => [e.aggregateId, e.payload.dueAt])).toEqual([
        [late.id, "1970-01-01T00:10:00.000Z"],
        [late.id, "1970-01-01T00:30:00.000Z"]
      ])
    }).pipe(Effect.provide(Scheduled))
  )
})

describe("retention of attachment bytes", () => {
  it.effect("removes bytes stored without a metadata row once they are an hour old, and nothing else", () =>
    Effect.gen(function* () {
      const storage = yield* AttachmentStorage
      const rows = yield* AttachmentRepository
      const now = DateTime.unsafeMake(Date.parse("2026-12-06T12:00:00Z"))
      /** An attachment id made `ago` before now: a UUIDv7 carries its time in its first 48 bits. */
      const idAgo = (ago: Duration.DurationInput) => {
        const ms = (DateTime.toEpochMillis(now) - Duration.toMillis(ago)).toString(16).padStart(12, "0")
        return AttachmentId.make(`${ms.slice(0, 8)}-${ms.slice(8)}${uuidv7().slice(13)}`)
      }
      const owner = yield* signUp()
      const project = yield* aProject(owner.actor)
      const task = yield* aTask(owner.actor, project.id, { title: "Attached" })
      const keyOf = (attachmentId: AttachmentId) => ({ projectId: project.id, taskId: task.id, attachmentId })
      const orphan = keyOf(idAgo(Duration.hours(2)))
      const uploading = keyOf(idAgo(Duration.minutes(5)))
      const kept = keyOf(idAgo(Duration.hours(3)))
      expect(uuidv7Millis(orphan.attachmentId)).toBe(DateTime.toEpochMillis(now) - Duration.toMillis(Duration.hours(2)))
      for (const key of [orphan, uploading, kept]) yield* storage.put(key, Stream.make(new TextEncoder().encode("bytes")))
      yield* rows.insert(
        new Attachment({ id: kept.attachmentId, taskId: kept.taskId, projectId: kept.projectId, filename: "a.txt", contentType: "text/plain", size: 5, sha256: "0".repeat(64), uploadedBy: owner.actor.user.id, createdAt: now })
      )
      expect(yield* sweepOrphanedAttachments(now)).toBe(1)
      expect((yield* storage.stored).map((key) => key.attachmentId).sort()).toEqual([uploading.attachmentId, kept.attachmentId].sort())
    }).pipe(Effect.provide(TestLive)))
})
