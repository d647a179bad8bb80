import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { BrowserServerLive, browserRunnable, launchBrowser } from "../support/Browser.js"

declare const document: { querySelectorAll(selector: string): { readonly length: number } }

describe.skipIf(!browserRunnable)("the API reference (/docs) in a browser", () => {
  it.scopedLive(
    "renders the operations under its CSP and asks no host but this one for anything",
    () =>
      Effect.gen(function* () {
        const address = (yield* HttpServer.HttpServer).address
        const base = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "unreachable"
        const browser = yield* launchBrowser
        const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1280, height: 900 } }))
        const console: Array<string> = []
        const elsewhere: Array<string> = []
        page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`))
        page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`))
        // Every request the page makes, refused by the CSP or not: none may leave this origin.
        page.on("request", (request) => {
          if (!request.url().startsWith(base) && !request.url().startsWith("data:") && !request.url().startsWith("blob:")) elsewhere.push(request.url())
        })
        yield* Effect.promise(() => page.goto(`${base}/docs`, { waitUntil: "load" }))
        // Scalar draws the operations from the embedded document (its WebAssembly needs
        // 'wasm-unsafe-eval', not 'unsafe-eval').
        yield* Effect.promise(() => page.waitForFunction(() => document.querySelectorAll("[id^='tag/'], section, .section").length > 3, null, { timeout: 20_000 }))
        yield* Effect.promise(() => page.waitForTimeout(1_000))
        expect(elsewhere).toEqual([])
        expect(console.filter((line) => /Content.Security.Policy|Refused to|pageerror/i.test(line))).toEqual([])
      }).pipe(Effect.provide(BrowserServerLive)),
    60_000
  )
})
