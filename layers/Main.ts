import { HttpServer } from "@effect/platform"
import { Config, Effect, Layer, Option } from "effect"
import { HttpConfig, RuntimeMode } from "../src/config/AppConfig.js"
import { CacheWarmerLive } from "../src/cache/CacheWarmer.js"
import { PipelineStatusLive } from "../src/events/PipelineStatusLive.js"
import * as NodeServer from "../src/http/NodeServer.js"
import { HttpAppLive } from "../src/http/Server.js"
import { WorkerHttpLive } from "../src/http/WorkerHttp.js"
import { LoggingLive } from "../src/observability/Logging.js"
import { RuntimeMetricsLive } from "../src/observability/RuntimeMetrics.js"
import { SqlObservabilityLive } from "../src/observability/SqlObservability.js"
import { TracingLive } from "../src/observability/Tracing.js"
import { BootstrapLive } from "../src/security/Bootstrap.js"
import { JobWorkersLive } from "./Jobs.js"
import { DependencyProbesLive, OperationsLive } from "./Operations.js"
import { EmbeddedLive, ProductionLive } from "./Sql.js"
import { EventTransportLive, TransportChoice, WorkersLive } from "./Workers.js"

/** The storage stack the environment asks for: Postgres when `DATABASE_URL` is set, else PGlite. */
export const AppLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const mode = yield* RuntimeMode
    const events = yield* TransportChoice
    yield* Effect.logInfo(`Flowboard starting in ${mode} mode`).pipe(
      Effect.annotateLogs("storage", mode === "production" ? "postgres" : "pglite"),
      Effect.annotateLogs("events", events === "redis" ? "redis streams" : "in-process")
    )
    return mode === "production" ? ProductionLive : EmbeddedLive
  })
)

/** The API's server; its gate answers `503` until the application is served (`src/http/NodeServer.ts`). */
const NodeServerLive = NodeServer.layerConfig(HttpConfig)

/**
 * A process's port and its application, over the database. The served application is built
 * last either way, so on shutdown it drains before the database pool closes. The port opens:
 *
 * - on Postgres, before the database is reached, so that a process waiting for its database
 *   (unreachable at start) answers `503` (and `/health/live` `200`) instead of nothing;
 * - in embedded mode, once the database is open and migrated: PGlite's boot runs on the event
 *   loop and holds it for seconds at a time (6 s measured for a fresh database), so a port
 *   opened earlier would accept connections nobody can answer for that long. Until then
 *   connections are refused, which a client notices at once.
 */
const served = <ROut, E, RIn, SOut, SE>(app: Layer.Layer<ROut, E, RIn>, server: Layer.Layer<SOut, SE>) =>
  app.pipe(
    Layer.provide(
      Layer.unwrapEffect(
        Effect.map(RuntimeMode, (mode) =>
          mode === "production" ? AppLive.pipe(Layer.provideMerge(server)) : server.pipe(Layer.provideMerge(AppLive))
        )
      )
    )
  )

/**
 * Logs (JSON or pretty, redacted), tracing, SQL statement timing and process metrics, built
 * before the rest so everything after logs and traces through them (one instance, however many
 * process layers use it). Order matters: SQL timing wraps the tracer in place when it is
 * built, so tracing stays beneath it.
 */
export const ObservabilityLive = Layer.mergeAll(SqlObservabilityLive, RuntimeMetricsLive).pipe(
  Layer.provide(TracingLive),
  Layer.provide(LoggingLive)
)

/** `flowboard serve`: the API on its port, with the first-start admin bootstrap and the read cache warmed in the background. */
export const ServerLive = served(
  Layer.mergeAll(HttpAppLive.pipe(HttpServer.withLogAddress, Layer.provide(OperationsLive)), BootstrapLive, CacheWarmerLive),
  NodeServerLive
).pipe(Layer.provide(ObservabilityLive))

/** `flowboard worker`: the outbox relay, the event consumers and the job runner and scheduler, no HTTP. */
export const WorkerLive = Layer.mergeAll(WorkersLive, JobWorkersLive).pipe(
  Layer.provide(EventTransportLive),
  Layer.provide(AppLive),
  Layer.provide(ObservabilityLive)
)

/**
 * `WORKER_PORT` set: the worker also serves its own `/metrics` and `/health/live|ready` there,
 * for Prometheus and the orchestrator. Unset (the default), no port is opened: several workers
 * on one host would otherwise collide. Until the worker is up its port answers `503` (and
 * `/health/live` `200`), and on Postgres it opens before the database is reached, as the API's.
 */
const WorkerHttpServerLive = Layer.unwrapEffect(
  Effect.map(Config.option(Config.port("WORKER_PORT")), (port) =>
    Option.match(port, {
      onNone: () => Layer.empty,
      onSome: (port) =>
        served(
          WorkerHttpLive.pipe(
            HttpServer.withLogAddress,
            Layer.provide(Layer.merge(PipelineStatusLive.pipe(Layer.provide(EventTransportLive)), DependencyProbesLive))
          ),
          NodeServer.layer({ port })
        )
    }))
).pipe(Layer.provide(ObservabilityLive))

/** `flowboard worker` as a process: the workers, and their metrics and probes when `WORKER_PORT` is set. */
export const WorkerProcessLive = Layer.merge(WorkerLive, WorkerHttpServerLive)

/** `flowboard start`: the API, the relay and the consumers in one process, on one database and transport. */
export const StartLive = Layer.merge(ServerLive, WorkerLive)
