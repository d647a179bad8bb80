import { Clock, Config, Duration, Effect, Layer, Schedule, type Scope } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import { JobQueue } from "./JobQueue.js"
import { OverdueRemindersJob, RetentionJob } from "./ScheduledJobs.js"

export interface SchedulerOptions {
  /** How often overdue reminders are looked for. */
  readonly reminderInterval: Duration.DurationInput
  /** How often retention runs. */
  readonly retentionInterval: Duration.DurationInput
  readonly outboxRetentionDays: number
  readonly deadLetterRetentionDays: number
  readonly jobRetentionDays: number
  /** Long by default: an audit trail is read after the fact, often much later. */
  readonly auditRetentionDays: number
  /** Finished webhook deliveries and their attempts (the delivery log); optional for callers that predate it. */
  readonly webhookLogRetentionDays?: number
}

export const SchedulerConfig: Config.Config<SchedulerOptions> = Config.all({
  reminderInterval: Config.duration("JOBS_REMINDER_INTERVAL").pipe(Config.withDefault(Duration.minutes(1))),
  retentionInterval: Config.duration("JOBS_RETENTION_INTERVAL").pipe(Config.withDefault(Duration.hours(1))),
  outboxRetentionDays: Config.integer("OUTBOX_RETENTION_DAYS").pipe(Config.withDefault(7)),
  deadLetterRetentionDays: Config.integer("DEAD_LETTER_RETENTION_DAYS").pipe(Config.withDefault(30)),
  jobRetentionDays: Config.integer("JOB_RETENTION_DAYS").pipe(Config.withDefault(30)),
  auditRetentionDays: Config.integer("AUDIT_RETENTION_DAYS").pipe(
    Config.withDefault(365),
    Config.validate({ message: "must be at least 1 (days)", validation: (days) => days >= 1 })
  ),
  webhookLogRetentionDays: Config.integer("WEBHOOK_LOG_RETENTION_DAYS").pipe(
    Config.withDefault(30),
    Config.validate({ message: "must be at least 1 (days)", validation: (days) => days >= 1 })
  )
})

/**
 * Enqueues the periodic jobs; the runners run them. Every process may run a scheduler: each
 * enqueue carries the period it is for as its idempotency key (`<period start, epoch ms>`), so
 * however many schedulers tick in one period, one job exists for it.
 */
export const makeScheduler = (options: SchedulerOptions): Effect.Effect<void, never, Scope.Scope | JobQueue> =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const periodic = (every: Duration.DurationInput, enqueue: (period: string) => Effect.Effect<unknown, RepositoryError>) => {
      const millis = Duration.toMillis(every)
      const tick = Effect.flatMap(Clock.currentTimeMillis, (now) => enqueue(String(Math.floor(now / millis) * millis))).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("could not enqueue a scheduled job", cause))
      )
      return Effect.forkScoped(Effect.repeat(tick, Schedule.spaced(every)))
    }
    yield* periodic(options.reminderInterval, (period) => queue.enqueue(OverdueRemindersJob, {}, { idempotencyKey: period }))
    yield* periodic(options.retentionInterval, (period) =>
      queue.enqueue(
        RetentionJob,
        {
          outboxDays: options.outboxRetentionDays,
          deadLetterDays: options.deadLetterRetentionDays,
          jobDays: options.jobRetentionDays,
          auditDays: options.auditRetentionDays,
          webhookLogDays: options.webhookLogRetentionDays ?? 30
        },
        { idempotencyKey: period }
      )
    )
  })

export const jobScheduler = (options: SchedulerOptions) => Layer.scopedDiscard(makeScheduler(options))

export const JobSchedulerLive = Layer.scopedDiscard(Effect.flatMap(SchedulerConfig, makeScheduler))
