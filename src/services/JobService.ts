import { DateTime, Effect, Option } from "effect"
import { type Actor, isAdmin } from "../domain/Actor.js"
import { Conflict, NotFound } from "../domain/Errors.js"
import { type JobId, toView } from "../domain/Job.js"
import { JobRepository } from "../repositories/JobRepository.js"

/**
 * Jobs as their creators see them. A job is visible to the user who started it and to admins;
 * to anyone else it does not exist (404), as a project does not exist to a non-member.
 */
export class JobService extends Effect.Service<JobService>()("flowboard/JobService", {
  effect: Effect.gen(function* () {
    const jobs = yield* JobRepository

    const visible = (actor: Actor, id: JobId) =>
      Effect.flatMap(jobs.findById(id), (job) =>
        Option.isSome(job) && (job.value.createdBy === actor.user.id || isAdmin(actor)) ? Effect.succeed(job.value) : Effect.fail(NotFound.of("job", id))
      )

    return {
      get: Effect.fn("JobService.get")(function* (actor: Actor, id: JobId) {
        return toView(yield* visible(actor, id))
      }),

      /** Only a job still waiting can be cancelled; one that runs finishes its attempt. */
      cancel: Effect.fn("JobService.cancel")(function* (actor: Actor, id: JobId) {
        const job = yield* visible(actor, id)
        if (!(yield* jobs.cancel(id, yield* DateTime.now))) {
          return yield* new Conflict({ message: `job ${id} is ${job.status === "queued" ? "no longer queued" : job.status}: only a queued job can be cancelled` })
        }
        return toView(yield* visible(actor, id))
      })
    } as const
  })
}) {}
