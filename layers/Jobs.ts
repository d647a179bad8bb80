import { Effect, Layer } from "effect"
import { JobQueue, JobSignal } from "../src/jobs/JobQueue.js"
import { JobRunnerLive } from "../src/jobs/JobRunner.js"
import { JobSchedulerLive } from "../src/jobs/JobScheduler.js"
import { JobHandlers } from "../src/jobs/JobType.js"
import { ScheduledJobs } from "../src/jobs/ScheduledJobs.js"
import { BoardService } from "../src/services/BoardService.js"
import { BulkTaskService } from "../src/services/BulkTaskService.js"
import { ImportExportService } from "../src/services/ImportExportService.js"
import { JobService } from "../src/services/JobService.js"
import { TaskService } from "../src/services/TaskService.js"

/** Every job type this build can run, from the services that define them. */
const JobHandlersLive = Layer.effect(
  JobHandlers,
  Effect.gen(function* () {
    const bulk = yield* BulkTaskService
    const io = yield* ImportExportService
    const scheduled = yield* ScheduledJobs
    return JobHandlers.from([...bulk.handlers, ...io.handlers, ...scheduled.handlers])
  })
)

/**
 * The job services, the queue and the handler registry. `JobSignal` and `JobHandlers` are
 * outputs too: a runner built beside this layer must share this queue's wake-up signal.
 */
export const JobsLive = JobHandlersLive.pipe(
  Layer.provideMerge(Layer.mergeAll(JobService.Default, BulkTaskService.Default, ImportExportService.Default, ScheduledJobs.Default)),
  Layer.provideMerge(JobQueue.Default),
  Layer.provideMerge(JobSignal.Default),
  Layer.provide(Layer.mergeAll(TaskService.Default, BoardService.Default))
)

/**
 * The background loops of the job system — the runner and the scheduler — configured by the
 * `JOBS_*` and retention settings. Run them in every process that should work on jobs; any
 * number of processes may (claims skip each other's jobs, schedulers share period keys).
 */
export const JobWorkersLive = Layer.mergeAll(JobRunnerLive, JobSchedulerLive)
