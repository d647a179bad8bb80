import { HttpApiClient, HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import { TestLive, testWith } from "../../layers/Test.js"
import { Api } from "../../src/api/Api.js"
import type { HandlerRegistry } from "../../src/events/HandlerRegistry.js"
import * as NodeServer from "../../src/http/NodeServer.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { UserService } from "../../src/services/UserService.js"
import { InMemoryHttpServer } from "./InMemoryHttp.js"

/**
 * Flowboard's own HTTP server (gate and drain included) on a free port with a client aimed at
 * it: `NodeHttpServer.layerTest`, but that server, and keep-alive connections (a connection per
 * request was a quarter of the time of the e2e suites). For what only the wire has
 * (`test/e2e/Wire.test.ts`).
 */
export const SocketTestServer = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true })),
  Layer.provideMerge(NodeServer.layer({ port: 0, host: "127.0.0.1" }))
)

/** What the e2e suites talk to: the app in memory, at about half the CPU per request of a socket. */
export const HttpTestServer = InMemoryHttpServer

/**
 * The whole HTTP application on a test server, over the in-memory repositories.
 * Fresh state each time the layer is built.
 */
export const TestApiLive = HttpAppLive.pipe(Layer.provideMerge(TestLive), Layer.provideMerge(HttpTestServer))

/** The same, with the given event handlers in place of the build's own. */
export const testApiWith = <ROut, E, R>(handlers: Layer.Layer<ROut | HandlerRegistry, E, R>) =>
  HttpAppLive.pipe(Layer.provideMerge(testWith(handlers)), Layer.provideMerge(HttpTestServer))

/** The first admin's token, created the way `flowboard start` does on an empty database. */
export const bootstrapAdmin = Effect.gen(function* () {
  const users = yield* UserService
  const issued = yield* users.bootstrap("admin@test.local")
  return Option.getOrThrowWith(issued, () => new Error("database was not empty"))
})

/** A typed client for the API, calling with the given key. */
export const clientWithKey = (token: string) =>
  HttpApiClient.make(Api, {
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
  })
