import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import { TestLive, testWith } from "../../layers/Test.js"
import { Api } from "../../src/api/Api.js"
import type { HandlerRegistry } from "../../src/events/HandlerRegistry.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { UserService } from "../../src/services/UserService.js"

/**
 * The whole HTTP application on an in-memory server (no port), over the in-memory repositories.
 * Fresh state each time the layer is built.
 */
export const TestApiLive = HttpAppLive.pipe(Layer.provideMerge(TestLive), Layer.provideMerge(NodeHttpServer.layerTest))

/** The same, with the given event handlers in place of the build's own. */
export const testApiWith = <ROut, E, R>(handlers: Layer.Layer<ROut | HandlerRegistry, E, R>) =>
  HttpAppLive.pipe(Layer.provideMerge(testWith(handlers)), Layer.provideMerge(NodeHttpServer.layerTest))

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
