import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel } from "effect"
import { bootstrapAdmin } from "../support/TestApi.js"
import { BrowserServerLive, browserRunnable, launchBrowser } from "../support/Browser.js"

const ARTIFACT = new URL("./artifacts/dashboard.png", import.meta.url)
/** What the functions evaluated in the page use of it (this project compiles without the DOM library). */
declare const document: {
  readonly body: { readonly dataset: Record<string, string | undefined> }
  getElementById(id: string): { readonly textContent: string | null } | null
}

describe.skipIf(!browserRunnable)("the dashboard in a browser", () => {
  it.scopedLive(
    "an admin signs in, the numbers move with traffic, and the page breaks no CSP rule",
    () =>
      Effect.gen(function* () {
        const { token } = yield* Effect.orDie(bootstrapAdmin)
        const address = (yield* HttpServer.HttpServer).address
        const base = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "unreachable"
        const browser = yield* launchBrowser
        const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1280, height: 900 } }))
        const console: Array<string> = []
        page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`))
        page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`))

        yield* Effect.promise(() => page.goto(`${base}/dashboard`))
        expect(yield* Effect.promise(() => page.title())).toBe("Flowboard status · sign in")
        yield* Effect.promise(() => page.fill("#key", token))
        yield* Effect.promise(() => Promise.all([page.waitForURL(`${base}/dashboard`), page.click("button[type=submit]")]))

        // The first snapshot fills the count in; traffic must then raise it.
        const counted = () => page.locator("#total-requests").textContent().then((t) => Number((t ?? "").replace(/\D/g, "")))
        yield* Effect.promise(() => page.waitForFunction(() => /\d/.test(document.getElementById("total-requests")?.textContent ?? ""), null, { timeout: 10_000 }))
        const before = yield* Effect.promise(counted)
        yield* Effect.promise(() =>
          Promise.all(Array.from({ length: 25 }, () => fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text())))
        )
        yield* Effect.promise(() =>
          page.waitForFunction((n) => Number((document.getElementById("total-requests")?.textContent ?? "").replace(/\D/g, "")) >= n, before + 25, {
            timeout: 10_000
          })
        )
        expect(yield* Effect.promise(counted)).toBeGreaterThanOrEqual(before + 25)
        // One more snapshot, so the second that carried the traffic is on the charts in the screenshot.
        const drawn = Math.floor(Date.now() / 1000)
        yield* Effect.promise(() => page.waitForFunction((s) => Number(document.body.dataset["second"] ?? 0) >= s, drawn, { timeout: 5_000 }))
        expect(yield* Effect.promise(() => page.locator("#status").textContent())).toBe("ok")
        expect(yield* Effect.promise(() => page.locator("#connection").textContent())).toBe("live")

        yield* Effect.promise(() => page.screenshot({ path: ARTIFACT.pathname, fullPage: true }))
        expect(console.filter((line) => /Content.Security.Policy|Refused to|pageerror/i.test(line))).toEqual([])
        expect(console.filter((line) => line.startsWith("error"))).toEqual([])
      }).pipe(Effect.scoped, Effect.provide(BrowserServerLive), Effect.provide(Logger.minimumLogLevel(LogLevel.Warning))),
    30_000
  )
})
