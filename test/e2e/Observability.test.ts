import { Headers } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { DatabaseReport } from "../../src/domain/DatabaseInsight.js"
import { Column, Project, Task } from "../../src/domain/Model.js"
import { accessRecords, CaptureLogs, LogLines } from "../support/LogLines.js"
import { parsePrometheus, valueOf } from "../support/Prometheus.js"
import { bootstrapAdmin, TestApiLive } from "../support/TestApi.js"
import { decodeBody, get, send } from "./Harness.js"

class Admin extends Context.Tag("e2e/Admin")<Admin, { readonly token: string; readonly userId: string }>() {}

const AdminLive = Layer.effect(
  Admin,
  Effect.map(Effect.orDie(bootstrapAdmin), (issued) => ({ token: issued.token, userId: issued.user.id }))
)

const ObservedApiLive = AdminLive.pipe(Layer.provideMerge(TestApiLive), Layer.provideMerge(CaptureLogs))

const scrape = Effect.gen(function* () {
  const reply = yield* get("/metrics")
  expect(reply.status).toBe(200)
  expect(Option.getOrUndefined(Headers.get(reply.headers, "content-type"))).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheus(reply.text)
})

layer(ObservedApiLive)("observability over HTTP", (it) => {
  it.effect("exposes the HTTP histogram by route template, never by raw path, and business counters that move", () =>
    Effect.gen(function* () {
      const { token } = yield* Admin
      const before = yield* scrape
      const project = decodeBody(Project, yield* send("POST", "/api/v1/projects", { token, body: { key: "OBS", name: "Observed" } }))
      const projectId = project.id
      expect((yield* get(`/api/v1/projects/${projectId}`, token)).status).toBe(200)
      expect((yield* get(`/api/v1/projects/${projectId}`, token)).status).toBe(200)
      const columns = decodeBody(Schema.Array(Column), yield* get(`/api/v1/projects/${projectId}/columns`, token))
      const done = columns.find((c) => c.isDone)!
      const task = decodeBody(Task, yield* send("POST", `/api/v1/projects/${projectId}/tasks`, { token, body: { title: "Count me" } }))
      const moved = yield* send("POST", `/api/v1/tasks/${task.id}/move`, { token, body: { version: task.version, columnId: done.id } })
      expect(moved.status).toBe(200)
      const after = yield* scrape

      const series = { method: "GET", route: "/api/v1/projects/:projectId", status_class: "2xx" }
      const count = (families: typeof after) => valueOf(families, "http_server_request_duration_seconds_count", series)
      expect(count(after) - count(before)).toBe(2)
      expect(valueOf(after, "http_server_request_duration_seconds_bucket", { ...series, le: "+Inf" })).toBe(count(after))
      expect(after.get("http_server_request_duration_seconds")?.type).toBe("histogram")
      const delta = (name: string) => valueOf(after, name, {}) - valueOf(before, name, {})
      expect(
        ["flowboard_projects_created_total", "flowboard_tasks_created_total", "flowboard_tasks_moved_total", "flowboard_tasks_completed_total"].map(delta)
      ).toEqual([1, 1, 1, 1])
      expect(after.get("http_server_active_requests")?.type).toBe("gauge")

      const routes = new Set([...after.values()].flatMap((f) => f.samples.map((s) => s.labels["route"]).filter((r) => r !== undefined)))
      expect(routes).toContain("/api/v1/projects/:projectId")
      for (const route of routes) expect(route).not.toContain(projectId)
    }))

  it.effect("answers an admin with Server-Timing (SQL time and handler time), and nobody else (SERVER_TIMING=admin)", () =>
    Effect.gen(function* () {
      const { token } = yield* Admin
      const timingOf = (reply: { readonly headers: Headers.Headers }) => Option.getOrUndefined(Headers.get(reply.headers, "server-timing"))
      for (const reply of [yield* get("/api/v1/me", token), yield* get("/api/v1/projects/00000000-0000-7000-8000-000000000000", token)]) {
        expect(timingOf(reply)).toMatch(/^sql;dur=\d+(\.\d+)?;desc="\d+ statements", app;dur=\d+(\.\d+)?$/)
      }
      // How much SQL a request ran tells an attacker what it touched: not for anonymous callers.
      for (const reply of [yield* get("/api/v1/me"), yield* get("/no/such/route")]) expect(timingOf(reply)).toBeUndefined()
    }))

  it.effect("writes one access line per request with the route template and the user id, never the key", () =>
    Effect.gen(function* () {
      const { token, userId } = yield* Admin
      const lines = yield* LogLines
      lines.length = 0
      const reply = yield* get("/api/v1/me", token, { "x-request-id": "access-log-test-1" })
      yield* get("/health/live")
      yield* get("/metrics")
      yield* get("/api/v1/users/00000000-0000-7000-8000-000000000000/keys", token)
      const access = accessRecords(lines)
      expect(access.map((r) => r["route"])).toEqual(["/api/v1/me", "/api/v1/users/:userId/keys"])
      expect(access[0]).toMatchObject({
        level: "info",
        message: "GET /api/v1/me 200",
        method: "GET",
        status: 200,
        requestBytes: 0,
        responseBytes: reply.text.length,
        userId,
        correlationId: "access-log-test-1",
        service: "flowboard"
      })
      expect(typeof access[0]!["durationMs"]).toBe("number")
      expect(access[0]).toHaveProperty("clientAddress")
      expect(lines.join("\n")).not.toContain(token)
    }))

  it.effect("GET /api/v1/admin/db reports, for an admin, that the in-memory store has no statement statistics", () =>
    Effect.gen(function* () {
      const { token } = yield* Admin
      const report = decodeBody(DatabaseReport, yield* get("/api/v1/admin/db", token))
      expect(report.statements).toMatchObject({ available: false, slowest: [] })
      expect(report.statements.reason).toContain("in-memory")
      expect(report.recommendations).toEqual([])
    }))

  it.effect("never logs a secret sent in headers, bodies or rejected keys", () =>
    Effect.gen(function* () {
      const { token } = yield* Admin
      const lines = yield* LogLines
      const forged = `fb_0123456789ab_${"Q".repeat(43)}`
      yield* get("/api/v1/me", forged)
      yield* send("POST", "/api/v1/projects", { token, body: { key: "LEAK", name: token, password: "hunter2" } })
      yield* send("POST", "/api/v1/users", { token, rawBody: `{"email": "${forged}"` })
      yield* get(`/api/v1/projects?search=${token}`, token, { cookie: `session=${token}` })
      const output = lines.join("\n")
      for (const secret of [token, token.slice(16), forged, "hunter2"]) expect(output).not.toContain(secret)
    }))
})
