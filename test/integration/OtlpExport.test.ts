import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { TracingLive } from "../../src/observability/Tracing.js"

interface Received {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: string
}

/** A stand-in OTLP/HTTP collector on a free port that keeps what it is sent. */
const collector = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<Received>; readonly server: Server }>((resume) => {
    const received: Array<Received> = []
    const server = createServer((request: IncomingMessage, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        received.push({ path: request.url ?? "", contentType: request.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") })
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, received, server }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

const withConfig = (entries: ReadonlyArray<readonly [string, string]>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("OTLP export", () => {
  it.live("with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach <endpoint>/v1/traces by the time the layer is released", () =>
    Effect.gen(function* () {
      const { received, url } = yield* collector
      const tracing = TracingLive.pipe(Layer.provide(withConfig([["OTEL_EXPORTER_OTLP_ENDPOINT", `${url}/`], ["OTEL_SERVICE_NAME", "flowboard-otlp-test"]])))
      yield* Effect.void.pipe(Effect.withSpan("otlp-test-span", { attributes: { "test.marker": "exported" } }), Effect.provide(tracing))
      // Released: the batch processor has flushed on shutdown.
      expect(received.map((r) => r.path)).toEqual(["/v1/traces"])
      expect(received[0]?.contentType).toMatch(/^application\/json/)
      expect(received[0]?.body).toContain("otlp-test-span")
      expect(received[0]?.body).toContain("flowboard-otlp-test")
      expect(received[0]?.body).toContain("exported")
    }).pipe(Effect.scoped)
  )

  it.live("without an endpoint, nothing is exported", () =>
    Effect.gen(function* () {
      const { received } = yield* collector
      yield* Effect.void.pipe(Effect.withSpan("not-exported"), Effect.provide(TracingLive.pipe(Layer.provide(withConfig([])))))
      expect(received).toEqual([])
    }).pipe(Effect.scoped)
  )
})
