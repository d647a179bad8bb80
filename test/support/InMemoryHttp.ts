import {
  FetchHttpClient,
  type HttpClient,
  HttpApp,
  type HttpMiddleware,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Runtime } from "effect"

/** Where the served app sends the response of the request it is handling. */
class Respond extends Context.Tag("test/InMemoryHttp/Respond")<Respond, (response: Response) => void>() {}

type Handler = (request: Request) => Promise<Response>

/**
 * The request as Node's server would hand it over: with the body's `Content-Length`, which the
 * web client leaves to the transport (and the server's body checks read).
 */
const framed = async (sent: Request): Promise<Request> => {
  if (sent.body === null) return sent
  const body = new Uint8Array(await sent.arrayBuffer())
  const headers = new Headers(sent.headers)
  headers.set("content-length", String(body.length))
  return new Request(sent.url, { method: sent.method, headers, body, signal: sent.signal })
}

/**
 * An `HttpServer` without a socket, and an `HttpClient` wired straight to it. A request goes
 * from the client as a web `Request` through the served app (its middleware, router, error
 * handling and response encoding) and comes back as a web `Response`: everything an HTTP caller
 * sees but the bytes on the wire, at about half the CPU of a loopback socket per request.
 *
 * Why not `HttpApp.toWebHandlerRuntime`: it hands the app the absolute URL as `request.url`,
 * which the app's path checks (untraced routes, the live stream) do not expect of a server, and
 * it finds the request to answer by a mark on the request object, so a rewritten request could
 * not be answered. Here the answer goes through a per-request service (`Respond`) instead.
 *
 * As on a Node server the app sees the path and query as `request.url`, not the absolute URL.
 * There is no peer, so `remoteAddress` is none, and a body is read whole (the read limit is
 * Node's reader's). The suite that needs the wire itself (`test/e2e/Wire.test.ts`) uses
 * `SocketTestServer`.
 */
export const InMemoryHttpServer: Layer.Layer<
  HttpServer.HttpServer | HttpClient.HttpClient | Layer.Layer.Success<typeof NodeHttpServer.layerContext>
> = Layer.unwrapEffect(
  Effect.sync(() => {
    let handler: Handler | undefined
    const serve = (app: HttpApp.Default<unknown>, middleware?: HttpMiddleware.HttpMiddleware) =>
      Effect.gen(function* () {
        const runtime = yield* Effect.runtime<never>()
        const run = Runtime.runFork(runtime)
        const handled = HttpApp.toHandled(
          app,
          (request, response) =>
            Effect.flatMap(Respond, (respond) =>
              Effect.sync(() =>
                // A streamed body (server-sent events) outlives this fiber; its scope closes with the stream.
                respond(HttpServerResponse.toWeb(HttpApp.unsafeEjectStreamScope(response), { withoutBody: request.method === "HEAD", runtime }))
              )
            ),
          middleware
        )
        handler = async (sent) => {
          const web = await framed(sent)
          return new Promise((resolve) => {
            const url = new URL(web.url)
            const request = HttpServerRequest.fromWeb(web).modify({ url: `${url.pathname}${url.search}` })
            const fiber = run(handled.pipe(Effect.provideService(HttpServerRequest.HttpServerRequest, request), Effect.provideService(Respond, resolve)))
            web.signal.addEventListener("abort", () => fiber.unsafeInterruptAsFork(HttpServerError.clientAbortFiberId), { once: true })
          })
        }
        yield* Effect.addFinalizer(() => Effect.sync(() => (handler = undefined)))
      })
    const server = HttpServer.make({ address: { _tag: "TcpAddress", hostname: "127.0.0.1", port: 80 }, serve })
    const fetch: typeof globalThis.fetch = (input, init) =>
      handler === undefined ? Promise.reject(new Error("the in-memory server is not serving")) : handler(new Request(input, init))
    return HttpServer.layerTestClient.pipe(
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)),
      Layer.provideMerge(Layer.succeed(HttpServer.HttpServer, server)),
      // What Node's server layer also provides: the file system, paths and ETags that responses use.
      Layer.provideMerge(NodeHttpServer.layerContext)
    )
  })
)
