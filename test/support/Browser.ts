import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import { chromium } from "playwright-core"
import { TestLive } from "../../layers/Test.js"
import { HttpAppLive } from "../../src/http/Server.js"

/** What the browser suites share: Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = "/usr/bin/chromium"

/** CI (REQUIRE_SERVICES=1) insists on the browser; elsewhere its absence skips the suite. */
export const browserRunnable = existsSync(CHROMIUM) || process.env["REQUIRE_SERVICES"] === "1"

/** The real server on a free port, over the in-memory layers, on the live clock. */
export const BrowserServerLive = HttpAppLive.pipe(Layer.provideMerge(TestLive), Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

/** A headless browser for the scope. */
export const launchBrowser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
  ),
  (browser) => Effect.promise(() => browser.close())
)
