import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it, layer } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { SpanKind } from "@opentelemetry/api"
import { Context, Effect, Layer } from "effect"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { parseTraceparent, withParentFromTraceparent } from "../../../src/observability/Tracing.js"
import { tracingWith } from "../../../src/observability/TracingSdk.js"
import { bootstrapAdmin, TestApiLive } from "../../support/TestApi.js"

const exporter = new InMemorySpanExporter()

class AdminToken extends Context.Tag("test/AdminToken")<AdminToken, string>() {}

const TracedApiLive = Layer.effect(AdminToken, Effect.map(Effect.orDie(bootstrapAdmin), (issued) => issued.token)).pipe(
  Layer.provideMerge(TestApiLive),
  Layer.provideMerge(tracingWith(new SimpleSpanProcessor(exporter)))
)

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
const CALLER_SPAN = "00f067aa0ba902b7"

const request = (method: "GET" | "POST", path: string, headers: Record<string, string>, body?: unknown) =>
  Effect.gen(function* () {
    // The client would trace itself and send its own traceparent: only the server's spans are wanted.
    const http = HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
    let req = HttpClientRequest.setHeaders(HttpClientRequest.make(method)(path), headers)
    if (body !== undefined) req = HttpClientRequest.bodyUnsafeJson(req, body)
    const response = yield* http.execute(req)
    yield* response.text
    return response.status
  }).pipe(Effect.orDie)

/** Spans ended since the last call, emptying the exporter. */
const drain = (): ReadonlyArray<ReadableSpan> => {
  const spans = exporter.getFinishedSpans()
  exporter.reset()
  return spans
}

const serverSpans = (spans: ReadonlyArray<ReadableSpan>) => spans.filter((s) => s.kind === SpanKind.SERVER)

layer(TracedApiLive)("tracing", (it) => {
  it.effect("a request continues the caller's trace: one server span, service and repository spans beneath it", () =>
    Effect.gen(function* () {
      const token = yield* AdminToken
      drain()
      const status = yield* request("GET", "/api/v1/me", {
        authorization: `Bearer ${token}`,
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`
      })
      expect(status).toBe(200)
      const spans = drain()
      const [server, ...others] = serverSpans(spans)
      expect(others).toEqual([])
      expect(server?.spanContext().traceId).toBe(CALLER_TRACE)
      expect(server?.parentSpanContext?.spanId).toBe(CALLER_SPAN)
      expect(server?.attributes["http.route"]).toBe("/api/v1/me")
      const names = spans.map((s) => s.name)
      expect(names).toEqual(expect.arrayContaining(["Authentication.bearer", "AuthService.authenticate"]))
      expect(spans.every((s) => s.spanContext().traceId === CALLER_TRACE)).toBe(true)
    })
  )

  it.effect("the outbox envelope carries the request's trace, and a handler run under it joins that trace", () =>
    Effect.gen(function* () {
      const token = yield* AdminToken
      drain()
      const status = yield* request("POST", "/api/v1/projects", { authorization: `Bearer ${token}` }, { key: "TRC", name: "Traced" })
      expect(status).toBe(201)
      const server = serverSpans(drain())[0]
      const envelope = (yield* Effect.flatMap(OutboxRepository, (o) => o.listAll)).find((e) => e.type === "project.created.v1")
      expect(envelope?.traceparent).toBe(`00-${server?.spanContext().traceId}-${server?.spanContext().spanId}-01`)

      yield* Effect.void.pipe(Effect.withSpan("handler project.created.v1"), withParentFromTraceparent(envelope?.traceparent))
      const [handler] = drain()
      expect(handler?.spanContext().traceId).toBe(server?.spanContext().traceId)
      expect(handler?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    })
  )

  it.effect("health probes make no span", () =>
    Effect.gen(function* () {
      drain()
      expect(yield* request("GET", "/health/live", {})).toBe(200)
      expect(yield* request("GET", "/health/ready", {})).toBe(200)
      expect(drain()).toEqual([])
    })
  )
})

describe("traceparent", () => {
  it("parses a W3C traceparent into a remote parent, and refuses malformed or all-zero ones", () => {
    const parent = parseTraceparent(`00-${CALLER_TRACE}-${CALLER_SPAN}-01`)
    expect(parent._tag === "Some" && [parent.value.traceId, parent.value.spanId, parent.value.sampled]).toEqual([CALLER_TRACE, CALLER_SPAN, true])
    for (const bad of [null, "", "garbage", `01-${CALLER_TRACE}-${CALLER_SPAN}-01`, `00-${"0".repeat(32)}-${CALLER_SPAN}-01`, `00-${CALLER_TRACE}-${"0".repeat(16)}-01`]) {
      expect(parseTraceparent(bad)._tag).toBe("None")
    }
  })

  it.effect("without a usable traceparent an effect runs under the current span", () =>
    Effect.gen(function* () {
      const inner = yield* Effect.currentSpan.pipe(withParentFromTraceparent("not-a-traceparent"), Effect.withSpan("outer"))
      expect(inner.name).toBe("outer")
    })
  )
})
