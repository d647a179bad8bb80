/**
 * Flowboard's `HttpServer` over `node:http`, in place of `NodeHttpServer.layer`. The difference
 * is what happens around the application's life, not during it (requests are handled by
 * `NodeHttpServer.makeHandler`, as there):
 *
 * - it listens when built, before the database and the application are, with a `RequestGate`
 *   as its only `request` listener: a request accepted during start-up gets `503` at once,
 *   where the platform's server would hold it unanswered until a listener appeared;
 * - `serve` opens the gate; its finalizer drains: new requests get `503` and
 *   `Connection: close`, idle keep-alive connections are closed, requests in flight get up to
 *   `HTTP_DRAIN_TIMEOUT` to finish (answered with `Connection: close`), then every connection is
 *   closed. Served apps are released before the layers they were built on, so requests finish
 *   before the database pool closes;
 * - on release it stops listening and closes what is left, so the process never waits for a
 *   client to hang up.
 *
 * No WebSocket upgrades: Flowboard has no WebSocket routes.
 */
import { HttpServer, HttpServerError } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Config, Duration, Effect, Layer, Metric, Option, Runtime } from "effect"
import { createServer, type Server } from "node:http"
import type { ListenOptions } from "node:net"
import { makeRequestGate, type Refusal } from "./RequestGate.js"

/** How long requests in flight may take to finish once the server drains (`HTTP_DRAIN_TIMEOUT`). */
export const HttpDrainTimeout = Config.duration("HTTP_DRAIN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))

/** Label `reason`: `starting`, `draining`, `header_overflow`, `malformed`, `timeout`. */
export const httpRefused = Metric.counter("http_server_refused_total", {
  description: "Requests the server answered itself, without the application: start-up, shutdown, unparseable requests",
  incremental: true
})

export interface ServerOptions {
  readonly port: number
  readonly host?: string | undefined
}

const listen = (server: Server, options: ListenOptions) =>
  Effect.async<void, HttpServerError.ServeError>((resume) => {
    const onError = (cause: Error) => resume(Effect.fail(new HttpServerError.ServeError({ cause })))
    server.once("error", onError)
    server.listen(options, () => {
      server.off("error", onError)
      resume(Effect.void)
    })
  })

// Stops accepting and drops every connection left; bounded, whatever the sockets do.
const close = (server: Server) =>
  Effect.async<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  }).pipe(Effect.timeoutOption(Duration.seconds(1)), Effect.asVoid)

const addressOf = (server: Server): HttpServer.Address => {
  const address = server.address()
  if (typeof address === "string") return { _tag: "UnixAddress", path: address }
  return { _tag: "TcpAddress", hostname: address?.address === "::" ? "0.0.0.0" : address?.address ?? "0.0.0.0", port: address?.port ?? 0 }
}

/** The server, listening, with its gate closed until an application is served on it. */
export const make = (options: ServerOptions, drainTimeout: Duration.DurationInput) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const count = (refusal: Refusal) => Runtime.runSync(runtime)(Metric.increment(Metric.tagged(httpRefused, "reason", refusal)))
    const server = createServer()
    const gate = makeRequestGate(server, count)
    server.on("request", gate.onRequest)
    server.on("clientError", gate.onClientError)
    yield* Effect.acquireRelease(
      listen(server, { port: options.port, ...(options.host === undefined ? {} : { host: options.host }) }),
      () => close(server)
    )

    const drain = Effect.gen(function* () {
      const inFlight = gate.drain()
      yield* Effect.logInfo("http server draining").pipe(
        Effect.annotateLogs({ inFlight, drainTimeout: Duration.format(Duration.decode(drainTimeout)) })
      )
      const idle = Effect.async<void>((resume) => {
        const cancel = gate.whenIdle(() => resume(Effect.void))
        return Effect.sync(cancel)
      })
      const drained = yield* Effect.timeoutOption(Effect.interruptible(idle), drainTimeout)
      if (Option.isNone(drained)) {
        yield* Effect.logWarning("http drain timeout elapsed: closing the connections of unfinished requests").pipe(
          Effect.annotateLogs("inFlight", gate.inFlight())
        )
      }
      yield* Effect.sync(() => server.closeAllConnections())
    }).pipe(Effect.withSpan("NodeServer.drain"))

    return HttpServer.make({
      address: addressOf(server),
      serve: (app, middleware) =>
        Effect.gen(function* () {
          const handler = yield* (middleware === undefined ? NodeHttpServer.makeHandler(app) : NodeHttpServer.makeHandler(app, middleware))
          gate.open(handler)
          yield* Effect.addFinalizer(() => drain)
        })
    })
  })

/** `HttpServer` on `options` plus what `NodeHttpServer.layer` also provides (platform, etags, Node context). */
export const layer = (options: ServerOptions) =>
  Layer.mergeAll(
    Layer.scoped(HttpServer.HttpServer, Effect.flatMap(HttpDrainTimeout, (drainTimeout) => make(options, drainTimeout))),
    NodeHttpServer.layerContext
  )

/** `layer` with its options read from configuration. */
export const layerConfig = (options: Config.Config<ServerOptions>) =>
  Layer.unwrapEffect(Effect.map(options, layer))
