import { describe, expect, it } from "@effect/vitest"
import { HttpServerRequest } from "@effect/platform"
import { Option, Redacted } from "effect"
import { isQuietPath } from "../../../src/http/AccessLog.js"
import { authorised } from "../../../src/http/MetricsHttp.js"
import { matchTemplate, pathnameOf } from "../../../src/http/RouteTemplate.js"

describe("HTTP observability", () => {
  it("matches paths to the contract's route templates, preferring static segments, else nothing", () => {
    const id = "01900000-0000-7000-8000-000000000001"
    expect(matchTemplate("GET", `/api/v1/projects/${id}`)).toEqual(Option.some("/api/v1/projects/:projectId"))
    expect(matchTemplate("HEAD", `/api/v1/tasks/${id}/comments`)).toEqual(Option.some("/api/v1/tasks/:taskId/comments"))
    expect(matchTemplate("GET", "/api/v1/me")).toEqual(Option.some("/api/v1/me"))
    expect(matchTemplate("GET", "/health/ready")).toEqual(Option.some("/health/ready"))
    expect(matchTemplate("GET", "/metrics")).toEqual(Option.some("/metrics"))
    expect(matchTemplate("DELETE", "/api/v1/me")).toEqual(Option.none())
    expect(matchTemplate("GET", `/api/v1/nothing/${id}`)).toEqual(Option.none())
  })

  it("takes the path from what the client sent, whether a path (Node) or an absolute URL (web Request)", () => {
    const web = (url: string) => HttpServerRequest.fromWeb(new Request(url))
    expect(pathnameOf(web("http://127.0.0.1:3000/api/v1/me?limit=1#x"))).toBe("/api/v1/me")
    expect(pathnameOf(web("https://flowboard.example/health/live"))).toBe("/health/live")
    expect(pathnameOf(web("http://flowboard.example"))).toBe("/")
    // A rewrite changes `url`, not what the client asked for.
    expect(pathnameOf(web("http://h/metrics?x=1").modify({ url: "/elsewhere" }))).toBe("/metrics")
  })

  it("keeps probes and scrapes out of the access log, and nothing else", () => {
    expect(["/health", "/health/live", "/health/ready", "/metrics"].every(isQuietPath)).toBe(true)
    expect(["/healthy", "/api/v1/me", "/metrics/x", "/dashboard"].some(isQuietPath)).toBe(false)
  })

  it("opens /metrics without METRICS_TOKEN, and with it wants exactly that bearer token", () => {
    expect(authorised(Option.none(), undefined)).toBe(true)
    const token = Option.some(Redacted.make("s3cret-scrape"))
    expect(authorised(token, "Bearer s3cret-scrape")).toBe(true)
    expect(authorised(token, "bearer s3cret-scrape")).toBe(true)
    expect(authorised(token, "Bearer s3cret-scrap")).toBe(false)
    expect(authorised(token, "Basic s3cret-scrape")).toBe(false)
    expect(authorised(token, undefined)).toBe(false)
  })
})
