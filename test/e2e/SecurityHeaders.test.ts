import { Headers } from "@effect/platform"
import { describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { TestLive } from "../../layers/Test.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { DOCS_POLICY } from "../../src/http/SecurityHeaders.js"
import { bootstrapAdmin, HttpTestServer } from "../support/TestApi.js"
import { get, type Reply, send } from "./Harness.js"

const appWith = (settings: Record<string, string> = {}) =>
  HttpAppLive.pipe(
    Layer.provideMerge(TestLive),
    Layer.provideMerge(HttpTestServer),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))))
  )

const header = (reply: Reply, name: string) => Option.getOrUndefined(Headers.get(reply.headers, name))
const admin = Effect.map(Effect.orDie(bootstrapAdmin), ({ token }) => token)
const preflight = (origin: string) =>
  send("OPTIONS", "/api/v1/projects", { headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } })

layer(appWith())("security headers and CORS with the defaults", (it) => {
  it.effect("every API answer, success or refusal, forbids sniffing, framing, referrers, cross-origin reads and caching", () =>
    Effect.gen(function* () {
      const token = yield* admin
      for (const reply of [yield* get("/api/v1/me", token), yield* get("/api/v1/me"), yield* get("/api/v1/nope", token), yield* get("/api/openapi.json")]) {
        expect({
          nosniff: header(reply, "x-content-type-options"),
          csp: header(reply, "content-security-policy"),
          referrer: header(reply, "referrer-policy"),
          corp: header(reply, "cross-origin-resource-policy"),
          frame: header(reply, "x-frame-options"),
          cache: header(reply, "cache-control"),
          hsts: header(reply, "strict-transport-security")
        }).toEqual({
          nosniff: "nosniff",
          csp: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox",
          referrer: "no-referrer",
          corp: "same-origin",
          frame: "DENY",
          cache: "no-store",
          hsts: undefined
        })
      }
    }))

  it.effect("/docs gets a CSP that lets its page run on this origin only; the dashboard keeps its own", () =>
    Effect.gen(function* () {
      const docs = yield* get("/docs")
      expect(docs.status).toBe(200)
      expect(header(docs, "content-security-policy")).toBe(DOCS_POLICY)
      expect(DOCS_POLICY).toMatch(/connect-src 'self'/)
      expect(DOCS_POLICY).not.toMatch(/https?:/)
      // Nothing the page loads names a CDN: the reference's script is inlined.
      expect(docs.text).not.toMatch(/<script[^>]+src=/)
      const dashboard = yield* get("/dashboard")
      expect(header(dashboard, "content-security-policy")).toMatch(/^default-src 'self'/)
    }))

  it.effect("CORS is off: a preflight is not answered with any Access-Control header", () =>
    Effect.gen(function* () {
      const reply = yield* preflight("https://app.example.com")
      expect(reply.status).toBe(405)
      expect(header(reply, "access-control-allow-origin")).toBeUndefined()
      expect(header(yield* get("/api/v1/me", undefined, { origin: "https://app.example.com" }), "access-control-allow-origin")).toBeUndefined()
    }))
})

describe("security headers by setting", () => {
  it.effect("Strict-Transport-Security only when SERVED_OVER_TLS; Server-Timing for everyone with SERVER_TIMING=all", () =>
    Effect.gen(function* () {
      const reply = yield* get("/api/v1/me")
      expect(header(reply, "strict-transport-security")).toBe("max-age=31536000; includeSubDomains")
      expect(header(reply, "server-timing")).toMatch(/^sql;dur=/)
    }).pipe(Effect.provide(appWith({ SERVED_OVER_TLS: "true", SERVER_TIMING: "all" }))))

  it.effect("Server-Timing off: not even for an admin", () =>
    Effect.gen(function* () {
      expect(header(yield* get("/api/v1/me", yield* admin), "server-timing")).toBeUndefined()
    }).pipe(Effect.provide(appWith({ SERVER_TIMING: "off" }))))
})


describe("CORS", () => {
  it.effect("allows the configured origins, answers their preflight, never with credentials, and ignores others", () =>
    Effect.gen(function* () {
      const allowed = yield* preflight("https://app.example.com")
      expect(allowed.status).toBe(204)
      expect(header(allowed, "access-control-allow-origin")).toBe("https://app.example.com")
      expect(header(allowed, "vary")).toMatch(/Origin/)
      expect(header(allowed, "access-control-allow-methods")).toMatch(/POST/)
      expect(header(allowed, "access-control-allow-headers")).toMatch(/authorization/)
      expect(header(allowed, "access-control-allow-credentials")).toBeUndefined()
      const other = yield* preflight("https://evil.example")
      expect(header(other, "access-control-allow-origin")).toBeUndefined()
      const read = yield* get("/api/v1/me", yield* admin, { origin: "https://app.example.com" })
      expect(header(read, "access-control-allow-origin")).toBe("https://app.example.com")
      expect(header(read, "access-control-expose-headers")).toMatch(/ratelimit/)
      expect(header(read, "access-control-allow-credentials")).toBeUndefined()
    }).pipe(Effect.provide(appWith({ CORS_ORIGINS: "https://app.example.com, https://admin.example.com" }))))
})

describe("settings a process refuses to start with", () => {
  const buildWith = (settings: Record<string, string>) =>
    Effect.flip(Layer.build(appWith(settings))).pipe(Effect.scoped, Effect.map((error) => String(error)))

  it.effect("a TRUST_PROXY entry that is not an address or range, naming it", () =>
    Effect.gen(function* () {
      expect(yield* buildWith({ TRUST_PROXY: "10.0.0.0/8, proxy.internal" })).toMatch(/TRUST_PROXY.*proxy\.internal/)
    }))

  it.effect("a CORS origin with a path or a wildcard inside it", () =>
    Effect.gen(function* () {
      expect(yield* buildWith({ CORS_ORIGINS: "https://app.example.com/path" })).toMatch(/CORS_ORIGINS/)
      expect(yield* buildWith({ CORS_ORIGINS: "https://*.example.com" })).toMatch(/CORS_ORIGINS/)
    }))
})
