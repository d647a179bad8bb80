/**
 * The API over a real socket. Every other e2e suite talks to the app in memory
 * (`InMemoryHttpServer`): same router, middleware and encoding, no Node HTTP in between. This
 * suite covers what only the wire has: Node's request parsing and body limit, the headers Node
 * adds, keep-alive and the peer's address.
 */
import { expect, layer } from "@effect/vitest"
import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { ConfigProvider, Context, Effect, Layer, Schema, Stream } from "effect"
import { request as httpRequest } from "node:http"
import { TestLive } from "../../layers/Test.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { accessRecords, CaptureLogs, LogLines } from "../support/LogLines.js"
import { PNG, uploadForm } from "../support/Files.js"
import { bootstrapAdmin, SocketTestServer } from "../support/TestApi.js"
import { decodeBody, expectError, get, send } from "./Harness.js"

class Wire extends Context.Tag("e2e/Wire")<Wire, { readonly token: string }>() {}

const MAX_BODY_BYTES = 64 * 1024

const WireLive = Layer.effect(Wire, Effect.map(Effect.orDie(bootstrapAdmin), ({ token }) => ({ token }))).pipe(
  Layer.provideMerge(HttpAppLive.pipe(Layer.provideMerge(TestLive), Layer.provideMerge(SocketTestServer))),
  Layer.provideMerge(CaptureLogs),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MAX_BODY_BYTES", String(MAX_BODY_BYTES)]]))))
)

const Created = Schema.Struct({ id: Schema.String })

layer(WireLive)("the API over a socket", (it) => {
  it.effect("creates a project and a task, moves it and reads the board, with Node's framing headers", () =>
    Effect.gen(function* () {
      const { token } = yield* Wire
      const project = yield* send("POST", "/api/v1/projects", { token, body: { key: "WIRE", name: "Over the wire" } })
      expect(project.status).toBe(201)
      expect(project.headers["content-type"]).toMatch(/^application\/json/)
      expect(Number(project.headers["content-length"])).toBe(Buffer.byteLength(project.text))
      expect(project.requestId).toMatch(/\S/)
      const projectId = decodeBody(Created, project).id
      const task = yield* send("POST", `/api/v1/projects/${projectId}/tasks`, { token, body: { title: "Wire it" } })
      expect(task.status).toBe(201)
      const columns = decodeBody(Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })), yield* get(`/api/v1/projects/${projectId}/columns`, token))
      const doing = columns.find((c) => c.name === "In progress")?.id
      const moved = yield* send("POST", `/api/v1/tasks/${decodeBody(Created, task).id}/move`, { token, body: { version: 1, columnId: doing, position: "top" } })
      expect({ status: moved.status, text: moved.status === 200 ? "" : moved.text }).toEqual({ status: 200, text: "" })
      const board = yield* get(`/api/v1/projects/${projectId}/board`, token)
      expect(board.status).toBe(200)
      const Board = Schema.Struct({ columns: Schema.Array(Schema.Struct({ id: Schema.String, tasks: Schema.Array(Schema.Struct({ title: Schema.String })) })) })
      const inProgress = decodeBody(Board, board).columns.find((c) => c.id === doing)
      expect(inProgress?.tasks.map((t) => t.title)).toEqual(["Wire it"])
    })
  )

  it.effect("answers a body that is not JSON with 400 naming the body, and logs the peer's address", () =>
    Effect.gen(function* () {
      const { token } = yield* Wire
      const lines = yield* LogLines
      lines.length = 0
      const reply = yield* send("POST", "/api/v1/projects", { token, rawBody: "{\"key\": " })
      expectError(reply, 400, "ValidationError")
      const access = accessRecords(lines)
      expect(access.map((r) => [r["route"], r["status"]])).toEqual([["/api/v1/projects", 400]])
      expect(String(access[0]?.["clientAddress"])).toMatch(/127\.0\.0\.1$/)
    })
  )

  it.effect("refuses a body sent without any Content-Type with 415, and creates nothing", () =>
    Effect.gen(function* () {
      const { token } = yield* Wire
      const server = yield* HttpServer.HttpServer
      const port = server.address._tag === "TcpAddress" ? server.address.port : 0
      // A web client always labels a text body; Node's own client sends exactly what it is told.
      const reply = yield* Effect.async<{ readonly status: number; readonly body: string }>((resume) => {
        const body = JSON.stringify({ key: "NOCT", name: "No content type" })
        const req = httpRequest({ port, method: "POST", path: "/api/v1/projects", headers: { authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) } }, (res) => {
          let text = ""
          res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
          res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: text })))
        })
        req.on("error", (error) => resume(Effect.die(error)))
        req.end(body)
      })
      expect(reply.status).toBe(415)
      expect(JSON.parse(reply.body)).toMatchObject({ _tag: "UnsupportedMediaType", status: 415 })
      expect((yield* get("/api/v1/projects?limit=200", token)).text).not.toContain("NOCT")
    })
  )

  it.effect("refuses a body over MAX_BODY_BYTES with 413 and one without a length with 411, and creates nothing", () =>
    Effect.gen(function* () {
      const { token } = yield* Wire
      const oversized = { key: "HUGE", name: "x", description: "y".repeat(MAX_BODY_BYTES) }
      const declared = yield* send("POST", "/api/v1/projects", { token, body: oversized })
      // Without a length (chunked) the size is not known before reading: refused, however small.
      const chunked = yield* Effect.scoped(
        Effect.gen(function* () {
          const http = yield* HttpClient.HttpClient
          const bytes = new TextEncoder().encode(JSON.stringify({ key: "CHNK", name: "chunked" }))
          const request = HttpClientRequest.post("/api/v1/projects").pipe(
            HttpClientRequest.bearerToken(token),
            HttpClientRequest.bodyStream(Stream.make(bytes.subarray(0, 10), bytes.subarray(10)), { contentType: "application/json" })
          )
          const response = yield* HttpClient.withScope(http).execute(request)
          return { status: response.status, body: yield* response.json }
        })
      ).pipe(Effect.orDie)
      expect(expectError(declared, 413, "PayloadTooLarge").message).toBe(`request body larger than ${MAX_BODY_BYTES} bytes`)
      expect(chunked).toMatchObject({ status: 411, body: { _tag: "LengthRequired", status: 411, message: "a request body needs a Content-Length header" } })
      // Just under the limit is read and judged on its content.
      const fits = yield* send("POST", "/api/v1/projects", { token, body: { key: "FITS", name: "x", description: "y".repeat(100) } })
      expect(fits.status).toBe(201)
      const listed = yield* get("/api/v1/projects?limit=200", token)
      expect(listed.text).not.toContain("HUGE")
      expect(listed.text).not.toContain("CHNK")
    })
  )

  it.effect("streams an upload larger than MAX_BODY_BYTES through Node's multipart parser, and serves the bytes back", () =>
    Effect.gen(function* () {
      const { token } = yield* Wire
      const project = decodeBody(Created, yield* send("POST", "/api/v1/projects", { token, body: { key: "UPLD", name: "Uploads" } }))
      const task = decodeBody(Created, yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token, body: { title: "Attach" } }))
      const file = new Uint8Array(Buffer.concat([PNG, Buffer.alloc(MAX_BODY_BYTES * 3, 0xa5)]))
      const path = `/api/v1/tasks/${task.id}/attachments`
      // As a browser sends a form: with its length (Harness.send encodes the form first).
      const uploaded = yield* send("POST", path, { token, form: uploadForm("wire.png", file) })
      expect(uploaded.status).toBe(201)
      // A name beyond Latin-1, raw UTF-8 as a browser sends it, read on a real socket (PartHeaders.ts).
      const named = yield* send("POST", path, { token, form: uploadForm("報告 – März.png", PNG) })
      expect([named.status, (named.body as { readonly filename?: string }).filename]).toEqual([201, "報告 – März.png"])
      const id = decodeBody(Created, uploaded).id
      const download = yield* Effect.scoped(
        Effect.gen(function* () {
          const http = yield* HttpClient.HttpClient
          const response = yield* HttpClient.withScope(http).execute(
            HttpClientRequest.get(`/api/v1/tasks/${task.id}/attachments/${id}/content`).pipe(HttpClientRequest.bearerToken(token))
          )
          return { headers: response.headers, bytes: Buffer.from(yield* response.arrayBuffer) }
        })
      ).pipe(Effect.orDie)
      expect(download.bytes.equals(file)).toBe(true)
      expect([download.headers["content-type"], download.headers["content-length"], download.headers["content-security-policy"]]).toEqual([
        "image/png",
        String(file.length),
        "default-src 'none'; sandbox"
      ])
    })
  )
})
