import { DateTime, Duration, Effect, Option, Schema } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import { makeEvent, TaskOverdueV1 } from "../domain/DomainEvents.js"
import { pruneAuditTrail } from "../audit/AuditTrail.js"
import { WebhookRepository } from "../repositories/WebhookRepository.js"
import { Outbox } from "../events/Outbox.js"
import { uuidv7Millis } from "../domain/Ids.js"
import { AttachmentRepository } from "../repositories/AttachmentRepository.js"
import { AttachmentStorage } from "../repositories/AttachmentStorage.js"
import { AuditRepository } from "../repositories/AuditRepository.js"
import { JobRepository } from "../repositories/JobRepository.js"
import { MaintenanceRepository, type OverdueTask } from "../repositories/MaintenanceRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { handle, jobType } from "./JobType.js"

/** Reminders recorded per unit of work, and rows deleted per statement by retention. */
const REMINDER_BATCH = 500
const PRUNE_BATCH = 5_000

export const OverdueRemindersJob = jobType(
  "reminders.overdue.v1",
  { payload: Schema.Struct({}), result: Schema.Struct({ reminded: Schema.Int }) },
  { maxAttempts: 3, priority: "low" }
)

export const RetentionSettings = Schema.Struct({
  outboxDays: Schema.Int,
  deadLetterDays: Schema.Int,
  jobDays: Schema.Int,
  // Optional: jobs enqueued before the audit trail existed still decode.
  auditDays: Schema.optionalWith(Schema.Int, { default: () => 365 }),
  webhookLogDays: Schema.optionalWith(Schema.Int, { default: () => 30 })
})
export const RetentionJob = jobType(
  "retention.prune.v1",
  {
    payload: RetentionSettings,
    result: Schema.Struct({
      outbox: Schema.Int,
      deadLetters: Schema.Int,
      jobs: Schema.Int,
      audit: Schema.optionalWith(Schema.Int, { default: () => 0 }),
      attachments: Schema.optionalWith(Schema.Int, { default: () => 0 }),
      webhookDeliveries: Schema.optionalWith(Schema.Int, { default: () => 0 })
    })
  },
  { maxAttempts: 3, priority: "low" }
)

/**
 * `task.overdue.v1`: the task's own version (an overdue task has not changed), no actor (the
 * system noticed), the due date that passed.
 */
const overdueEvent = (task: OverdueTask, now: DateTime.Utc) =>
  makeEvent(
    { type: "task", id: task.taskId, version: task.version },
    now,
    new TaskOverdueV1({ projectId: task.projectId, number: task.number, title: task.title, dueAt: task.dueAt, assigneeId: task.assigneeId })
  )

/**
 * Bytes stored with no metadata row are an upload whose process died between storing them and
 * committing the row (a refused or failed upload removes its own). They are removed once older
 * than this: an upload is bounded by the request timeout, far shorter. The age is the
 * attachment id's (a UUIDv7, made when the upload began).
 */
const ORPHAN_AGE = Duration.hours(1)

export const sweepOrphanedAttachments = (now: DateTime.Utc): Effect.Effect<number, RepositoryError, AttachmentStorage | AttachmentRepository> =>
  Effect.gen(function* () {
    const storage = yield* AttachmentStorage
    const rows = yield* AttachmentRepository
    const cutoff = DateTime.toEpochMillis(now) - Duration.toMillis(ORPHAN_AGE)
    let removed = 0
    for (const key of yield* storage.stored) {
      if (uuidv7Millis(key.attachmentId) > cutoff) continue
      if (Option.isSome(yield* rows.findById(key.attachmentId))) continue
      yield* storage.remove(key)
      removed += 1
    }
    if (removed > 0) yield* Effect.logWarning(`attachments: removed the bytes of ${removed} uploads that never committed their row`)
    return removed
  })

/** Deletes in bounded statements until a statement finds less than a full batch. */
const drain = (prune: Effect.Effect<number, RepositoryError>) =>
  Effect.gen(function* () {
    let total = 0
    for (;;) {
      const n = yield* prune
      total += n
      if (n < PRUNE_BATCH) return total
    }
  })

/** The handlers of the jobs the scheduler enqueues. */
export class ScheduledJobs extends Effect.Service<ScheduledJobs>()("flowboard/ScheduledJobs", {
  effect: Effect.gen(function* () {
    const maintenance = yield* MaintenanceRepository
    const jobs = yield* JobRepository
    const outbox = yield* Outbox
    const tx = yield* Transactor
    const auditTrail = yield* AuditRepository
    const attachmentStorage = yield* AttachmentStorage
    const attachmentRows = yield* AttachmentRepository
    const webhooks = yield* WebhookRepository

    const reminders = handle(OverdueRemindersJob, () =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        let reminded = 0
        for (;;) {
          // The marks and their events in one unit: a reminder is recorded if and only if its event is.
          const marked = yield* tx.transaction(
            Effect.tap(maintenance.markOverdue(now, REMINDER_BATCH), (tasks) => outbox.record(null, tasks.map((task) => overdueEvent(task, now))))
          )
          reminded += marked.length
          if (marked.length < REMINDER_BATCH) return { reminded }
        }
      }).pipe(Effect.withSpan("ScheduledJobs.overdueReminders"))
    )

    const retention = handle(RetentionJob, (settings) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const daysAgo = (days: number) => DateTime.subtractDuration(now, Duration.days(days))
        return {
          outbox: yield* drain(maintenance.pruneOutbox(daysAgo(settings.outboxDays), PRUNE_BATCH)),
          deadLetters: yield* drain(maintenance.pruneDeadLetters(daysAgo(settings.deadLetterDays), PRUNE_BATCH)),
          jobs: yield* jobs.pruneFinished(daysAgo(settings.jobDays)),
          audit: yield* pruneAuditTrail(daysAgo(settings.auditDays), PRUNE_BATCH).pipe(
            Effect.provideService(AuditRepository, auditTrail),
            Effect.provideService(Transactor, tx)
          ),
          attachments: yield* sweepOrphanedAttachments(now).pipe(
            Effect.provideService(AttachmentStorage, attachmentStorage),
            Effect.provideService(AttachmentRepository, attachmentRows)
          ),
          webhookDeliveries: yield* webhooks.prune(daysAgo(settings.webhookLogDays))
        }
      }).pipe(Effect.withSpan("ScheduledJobs.retention"))
    )

    return { handlers: [reminders, retention] } as const
  })
}) {}
