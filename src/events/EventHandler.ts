import { Data, type Effect, type Schedule } from "effect"
import type { EventType, OutboxEnvelope } from "../domain/Events.js"
import type { RepositoryError } from "../domain/Errors.js"

/**
 * A consumer of domain events. The runtime gives each handler its own consumer group, runs
 * `handle` inside one unit of work (Transactor) together with the inbox row
 * `(handler, event_id)`, so the effect happens at most once however often the event is
 * delivered, and acknowledges the delivery after that unit commits. Failures are retried on
 * `retry`; when it gives up, the event goes to the dead-letter store.
 */
export interface EventHandler {
  /** Stable: it names the consumer group and the inbox rows. */
  readonly name: string
  readonly types: ReadonlyArray<EventType> | "*"
  /** Batches handled at once by one worker process (each up to `WORKER_BATCH_SIZE` deliveries). */
  readonly concurrency: number
  /** Named retry policy from `src/resilience/RetrySchedules.ts`. */
  readonly retry: Schedule.Schedule<unknown, unknown>
  /** `R` must be satisfied when the handler is built: handlers are values inside layers. */
  readonly handle: (event: OutboxEnvelope) => Effect.Effect<void, HandlerError | RepositoryError>
  /**
   * Optional batch form: the effect of `handle` on each event in order, applied together (one
   * statement per kind of write instead of one per event). The runtime calls it inside the
   * batch's unit of work with the events whose inbox rows it has just recorded (never one
   * already handled, never one twice). Without it the runtime calls `handle` on each in turn,
   * still in one unit of work. A failure fails the whole batch: the runtime then splits it.
   */
  readonly handleBatch?: (events: ReadonlyArray<OutboxEnvelope>) => Effect.Effect<void, HandlerError | RepositoryError>
}

export class HandlerError extends Data.TaggedError("HandlerError")<{
  readonly message: string
  /** A permanent failure skips the remaining retries and dead-letters at once. */
  readonly permanent: boolean
  readonly cause?: unknown
}> {}
