import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HttpConfig, RuntimeMode } from "../src/config/AppConfig.js"
import { HttpAppLive } from "../src/http/Server.js"
import { BootstrapLive } from "../src/security/Bootstrap.js"
import { JobWorkersLive } from "./Jobs.js"
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

const NodeServerLive = NodeHttpServer.layerConfig(createServer, HttpConfig)

/** `flowboard serve`: the API on its port, with the first-start admin bootstrap. */
export const ServerLive = Layer.mergeAll(HttpAppLive.pipe(HttpServer.withLogAddress), BootstrapLive).pipe(
  Layer.provide(AppLive),
  Layer.provide(NodeServerLive)
)

/** `flowboard worker`: the outbox relay, the event consumers and the job runner and scheduler, no HTTP. */
export const WorkerLive = Layer.mergeAll(WorkersLive, JobWorkersLive).pipe(Layer.provide(EventTransportLive), Layer.provide(AppLive))

/** `flowboard start`: the API, the relay and the consumers in one process, on one database and transport. */
export const StartLive = Layer.merge(ServerLive, WorkerLive)
