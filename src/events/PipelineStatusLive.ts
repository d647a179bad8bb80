import { DateTime, Effect, Layer, Metric } from "effect"
import { PipelineStatus, PipelineStatusUnavailable, snapshotFromMetrics } from "../observability/PipelineStatus.js"
import { MaintenanceRepository } from "../repositories/MaintenanceRepository.js"
import { EventTransport } from "./EventTransport.js"
import { HandlerRegistry } from "./HandlerRegistry.js"

export const outboxBacklog = Metric.gauge("flowboard_outbox_backlog", {
  description: "Outbox events not yet published to the transport"
})

/** Label `handler` (one consumer group per handler). */
export const consumerBacklog = Metric.gauge("flowboard_consumer_lag", {
  description: "Entries in the streams a handler's consumer group has not been handed yet"
})

/** Label `handler`. */
export const consumerPending = Metric.gauge("flowboard_consumer_pending", {
  description: "Entries handed to a handler's consumers and not yet acknowledged"
})

export const deadLettersPending = Metric.gauge("flowboard_dead_letters", {
  description: "Dead letters waiting for an operator (status pending)"
})

export const tasksOverdue = Metric.gauge("flowboard_tasks_overdue", {
  description: "Tasks past their due date and not in a done column"
})

/** Sampling must not hold up `/health` or a scrape; a slow one reports the pipeline unavailable. */
const SAMPLE_TIMEOUT = "2 seconds"

/**
 * The pipeline as it is, asked of its sources each time: the outbox, the dead letters and the
 * overdue tasks from the database (one statement), each handler's lag from the transport. The
 * gauges above are set from the same reading, so `/metrics`, `/health` and the dashboard agree.
 */
export const PipelineStatusLive = Layer.effect(
  PipelineStatus,
  Effect.gen(function* () {
    const transport = yield* EventTransport
    const registry = yield* HandlerRegistry
    const maintenance = yield* MaintenanceRepository

    const snapshot = Effect.gen(function* () {
      const [counts, consumers, local] = yield* Effect.all(
        [
          Effect.flatMap(DateTime.now, maintenance.counts),
          Effect.forEach(registry.handlers, (handler) => Effect.map(transport.lag(handler.name), (lag) => ({ handler: handler.name, ...lag })), {
            concurrency: "unbounded"
          }),
          snapshotFromMetrics
        ],
        { concurrency: "unbounded" }
      )
      yield* Metric.set(outboxBacklog, counts.outboxBacklog)
      yield* Metric.set(deadLettersPending, counts.deadLetters)
      yield* Metric.set(tasksOverdue, counts.overdueTasks)
      for (const consumer of consumers) {
        yield* Metric.set(Metric.tagged(consumerBacklog, "handler", consumer.handler), consumer.backlog)
        yield* Metric.set(Metric.tagged(consumerPending, "handler", consumer.handler), consumer.pending)
      }
      return {
        ...local,
        transport: transport.name,
        outboxBacklog: counts.outboxBacklog,
        deadLetters: counts.deadLetters,
        consumers
      }
    }).pipe(
      Effect.timeoutFail({ duration: SAMPLE_TIMEOUT, onTimeout: () => new PipelineStatusUnavailable({ message: `no answer within ${SAMPLE_TIMEOUT}` }) }),
      Effect.catchTags({
        RepositoryError: (error) => Effect.fail(new PipelineStatusUnavailable({ message: `database: ${error.message}`, cause: error })),
        TransportError: (error) => Effect.fail(new PipelineStatusUnavailable({ message: `transport: ${error.message}`, cause: error }))
      }),
      Effect.withSpan("PipelineStatus.snapshot")
    )
    return { snapshot }
  })
)
