import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Option, Stream } from "effect"
import { HealthReport } from "../../src/api/HealthApi.js"
import { decodeBody, get, Scene, SceneLive, send } from "./Harness.js"

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"

/** POSTs the sign-in form; answers the redirect target and the session cookie, if one was set. */
const signIn = (key: string, headers: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post("/dashboard/login").pipe(HttpClientRequest.bodyUrlParams({ key }), HttpClientRequest.setHeaders(headers))
    )
    const setCookie = response.headers["set-cookie"]
    const raw = Array.isArray(setCookie) ? setCookie.join("\n") : String(setCookie ?? "")
    return { status: response.status, location: response.headers["location"], raw, cookie: /fb_dashboard=([^;]+)/.exec(raw)?.[1] }
  }).pipe(Effect.orDie)

const cookieHeader = (session: string) => ({ cookie: `fb_dashboard=${session}` })

/** The first `count` server-sent events of the stream, by name. */
const firstEvents = (headers: Record<string, string>, count: number) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(HttpClientRequest.get("/dashboard/stream").pipe(HttpClientRequest.setHeaders(headers)))
    expect(response.headers["content-type"]).toBe("text/event-stream")
    const chunks = yield* response.stream.pipe(
      Stream.decodeText(),
      Stream.mapAccum("", (buffer, text): [string, ReadonlyArray<string>] => {
        const events = (buffer + text).split("\n\n")
        return [events.pop() ?? "", events]
      }),
      Stream.flattenIterables,
      Stream.filter((e) => e.includes("data:")),
      Stream.take(count),
      Stream.runCollect
    )
    return Chunk.toReadonlyArray(chunks).map((e) => ({
      event: /^event: (.*)$/m.exec(e)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(e)?.[1] ?? "null") as unknown
    }))
  }).pipe(Effect.scoped, Effect.orDie)

layer(SceneLive)("the dashboard's door", (it) => {
  it.effect("anonymous visitors get the sign-in page, under the strict CSP", () =>
    Effect.gen(function* () {
      const page = yield* get("/dashboard")
      expect(page.status).toBe(200)
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(page.headers["content-security-policy"]).toContain(CSP)
      expect(page.text).toContain('action="/dashboard/login"')
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle=|<style/)
      expect((yield* get("/dashboard/stream")).status).toBe(401)
    })
  )

  it.effect("an admin key signs in: an HttpOnly, SameSite=Strict session cookie that is not the key; sign-out ends it", () =>
    Effect.gen(function* () {
      const { admin } = yield* Scene
      const signed = yield* signIn(admin.token)
      expect([signed.status, signed.location]).toEqual([303, "/dashboard"])
      expect(signed.raw).toMatch(/HttpOnly/)
      expect(signed.raw).toMatch(/SameSite=Strict/)
      expect(signed.raw).toMatch(/Path=\/dashboard/)
      expect(signed.raw).not.toMatch(/Secure/)
      expect(signed.raw).not.toContain(admin.token)
      const session = signed.cookie ?? ""
      expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/)

      const page = yield* get("/dashboard", undefined, cookieHeader(session))
      expect(page.text).toContain('src="/dashboard/assets/dashboard.js"')

      const [history, snapshot] = yield* firstEvents(cookieHeader(session), 2)
      expect(history?.event).toBe("history")
      expect(snapshot?.event).toBe("snapshot")
      expect(snapshot?.data).toMatchObject({ health: { status: "ok", mode: "test" }, second: {}, eventsPerSecond: 0 })

      const out = yield* send("POST", "/dashboard/logout", { headers: cookieHeader(session) })
      expect(out.status).toBe(303)
      expect((yield* get("/dashboard", undefined, cookieHeader(session))).text).toContain("Your session ended")
      expect((yield* get("/dashboard/stream", undefined, cookieHeader(session))).status).toBe(401)
    })
  )

  it.effect("behind an HTTPS proxy the cookie is Secure", () =>
    Effect.gen(function* () {
      const { admin } = yield* Scene
      expect((yield* signIn(admin.token, { "x-forwarded-proto": "https" })).raw).toMatch(/; Secure/)
    })
  )

  it.effect("keys of non-admins, bad keys and cross-site forms are refused", () =>
    Effect.gen(function* () {
      const { owner, admin } = yield* Scene
      expect(yield* signIn(owner.token)).toMatchObject({ status: 303, location: "/dashboard?error=forbidden", cookie: undefined })
      expect(yield* signIn("fb_000000000000_nope")).toMatchObject({ status: 303, location: "/dashboard?error=invalid", cookie: undefined })
      expect((yield* get("/dashboard?error=forbidden")).text).toContain("does not belong to an admin")
      expect((yield* signIn(admin.token, { origin: "https://evil.example" })).status).toBe(403)
    })
  )

  it.effect("Authorization: Bearer works too: admins see the page, others get 403, bad keys 401", () =>
    Effect.gen(function* () {
      const { admin, owner } = yield* Scene
      expect((yield* get("/dashboard", admin.token)).text).toContain("dashboard.js")
      expect((yield* get("/dashboard", owner.token)).status).toBe(403)
      expect((yield* get("/dashboard/stream", owner.token)).status).toBe(403)
      expect((yield* get("/dashboard", "fb_000000000000_nope")).status).toBe(401)
    })
  )

  it.effect("assets are served with their content types; anything else is 404", () =>
    Effect.gen(function* () {
      const types = yield* Effect.forEach(["dashboard.js", "dashboard.css", "favicon.svg"], (name) =>
        Effect.map(get(`/dashboard/assets/${name}`), (r) => [r.status, r.headers["content-type"], r.headers["x-content-type-options"]])
      )
      expect(types).toEqual([
        [200, "text/javascript; charset=utf-8", "nosniff"],
        [200, "text/css; charset=utf-8", "nosniff"],
        [200, "image/svg+xml", "nosniff"]
      ])
      expect((yield* get("/dashboard/assets/..%2Fdashboard.html")).status).toBe(404)
      expect((yield* get("/dashboard/assets/login.html")).status).toBe(404)
    })
  )

  it.effect("/health reports the dependencies, the pipeline and the thresholds; API traffic counts, probes do not", () =>
    Effect.gen(function* () {
      const { owner } = yield* Scene
      const before = decodeBody(HealthReport, yield* get("/health")).http.totalRequests
      yield* get("/api/v1/me", owner.token)
      yield* get("/health/live")
      const report = decodeBody(HealthReport, yield* get("/health"))
      expect(report.http.totalRequests).toBe(before + 1)
      expect(report).toMatchObject({ status: "ok", mode: "test", draining: false, fallbacks: [] })
      expect(report.dependencies.map((d) => [d.name, d.status])).toEqual([["database", "up"], ["transport", "up"]])
      expect(Option.fromNullable(report.thresholds.errorRate)).toEqual(Option.some(0.05))
    })
  )
})
