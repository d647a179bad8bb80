/**
 * The metrics Flowboard defines, as module-level constants: the HTTP and infrastructure ones
 * recorded by the observability layers, and the business counters the services increment.
 * Other features define theirs beside their code (`Metric.counter(...)`); `prometheusText`
 * renders every metric in Effect's registry, so theirs appear at `/metrics` as well.
 *
 * Conventions (Prometheus): base units (`_seconds`, `_bytes`), counters end in `_total`, label
 * values are bounded — route templates (`/api/v1/projects/:projectId`), status classes (`2xx`),
 * statement names (the span around the statement) — never raw paths, ids or SQL.
 */
import { Clock, Effect, Exit, Metric, MetricBoundaries } from "effect"
import { render } from "./PrometheusText.js"

/**
 * Records how long `effect` took, in seconds, into `histogram` when it completes — succeeded or
 * failed. An interrupted run (shutdown, a lost race) is not a duration of the work: not recorded.
 */
export const timedSeconds = (histogram: Metric.Metric.Histogram<number>) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Clock.currentTimeNanos, (start) =>
    Effect.onExit(effect, (exit) =>
      Exit.isInterrupted(exit)
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeNanos, (end) => Metric.update(histogram, Number(end - start) / 1e9))))

// ---- HTTP -----------------------------------------------------------------------------------

/** Labels: `method`, `route` (template, or `unmatched`), `status_class` (`2xx` … `5xx`). */
export const httpRequestDuration = Metric.histogram(
  "http_server_request_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  "Time from receiving an HTTP request to handing its response to the server"
)

export const httpRequestsInFlight = Metric.gauge("http_server_active_requests", {
  description: "HTTP requests being handled right now"
})

const sizeBuckets = MetricBoundaries.exponential({ start: 64, factor: 4, count: 10 }) // 64 B … 16 MiB

/** Labels: `method`, `route`. From `Content-Length` (0 when absent). */
export const httpRequestSize = Metric.histogram("http_server_request_body_size_bytes", sizeBuckets, "Size of HTTP request bodies")

/** Labels: `method`, `route`. Streamed bodies of unknown length are not observed. */
export const httpResponseSize = Metric.histogram("http_server_response_body_size_bytes", sizeBuckets, "Size of HTTP response bodies")

/** `2xx`, `4xx`, …: the bounded form of a status code for labels. */
export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`

// ---- SQL ------------------------------------------------------------------------------------

/** Label `statement`: the name of the span around the statement (`SqlTaskRepository.insert`). */
export const dbQueryDuration = Metric.histogram(
  "db_client_query_duration_seconds",
  MetricBoundaries.fromIterable([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
  "Time to execute one SQL statement, from sending it to reading its result (connection wait included)"
)

export const dbSlowQueries = Metric.counter("db_client_slow_queries_total", {
  description: "SQL statements slower than SLOW_QUERY_MS (label statement)",
  incremental: true
})

export const dbQueryErrors = Metric.counter("db_client_query_errors_total", {
  description: "SQL statements that failed (label statement)",
  incremental: true
})

// ---- process ----------------------------------------------------------------------------------

export const processResidentMemory = Metric.gauge("process_resident_memory_bytes", { description: "Resident set size" })
export const processHeapUsed = Metric.gauge("nodejs_heap_used_bytes", { description: "V8 heap in use" })
export const processHeapTotal = Metric.gauge("nodejs_heap_size_total_bytes", { description: "V8 heap allocated" })
export const processExternalMemory = Metric.gauge("nodejs_external_memory_bytes", { description: "Memory of C++ objects bound to JavaScript" })
export const processCpuSeconds = Metric.counter("process_cpu_seconds_total", { description: "User and system CPU time spent", incremental: true })
export const processStartTime = Metric.gauge("process_start_time_seconds", { description: "Start time of the process since the Unix epoch" })

/** Event-loop delay over the last sampling interval (perf_hooks.monitorEventLoopDelay). */
export const eventLoopDelayP50 = Metric.gauge("nodejs_eventloop_delay_p50_seconds", { description: "Median event-loop delay over the last interval" })
export const eventLoopDelayP99 = Metric.gauge("nodejs_eventloop_delay_p99_seconds", { description: "99th percentile event-loop delay over the last interval" })
export const eventLoopDelayMax = Metric.gauge("nodejs_eventloop_delay_max_seconds", { description: "Largest event-loop delay over the last interval" })

// ---- business -------------------------------------------------------------------------------

export const projectsCreated = Metric.counter("flowboard_projects_created_total", { description: "Projects created", incremental: true })
export const tasksCreated = Metric.counter("flowboard_tasks_created_total", { description: "Tasks created", incremental: true })
/** A task completes when it enters a done column from a column that is not done (or is created in one). */
export const tasksCompleted = Metric.counter("flowboard_tasks_completed_total", { description: "Tasks that entered a done column", incremental: true })
export const tasksMoved = Metric.counter("flowboard_tasks_moved_total", { description: "Task moves (between or within columns)", incremental: true })

/** After a task is created: counted, and completed too when it starts in a done column. */
export const countTaskCreated = (task: { readonly completedAt: unknown }): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(tasksCreated), task.completedAt === null ? Effect.void : Metric.increment(tasksCompleted))

/** After a move: counted, and completed too when the task entered a done column from one that is not. */
export const countTaskMoved = (completed: boolean): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(tasksMoved), completed ? Metric.increment(tasksCompleted) : Effect.void)

// ---- exposition -------------------------------------------------------------------------------

/** Every metric in the registry as Prometheus text (format 0.0.4). */
export const prometheusText: Effect.Effect<string> = Effect.map(Metric.snapshot, render)

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
