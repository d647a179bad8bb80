import { HttpServerResponse } from "@effect/platform"
import { readFile } from "node:fs/promises"
import { Effect } from "effect"

/**
 * The dashboard's static files, read once when the server starts (they sit beside this module,
 * so the sources serve them without a build step). Every response carries the page's strict
 * Content-Security-Policy: no inline script or style, nothing from another origin.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

export const securityHeaders = (cache: "no-store" | "no-cache"): Record<string, string> => ({
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": cache
})

const ASSETS = {
  "dashboard.css": "text/css; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "favicon.svg": "image/svg+xml"
} as const
type AssetName = keyof typeof ASSETS

const isAsset = (name: string): name is AssetName => Object.hasOwn(ASSETS, name)

const read = (name: string) =>
  Effect.tryPromise({
    try: () => readFile(new URL(`./${name}`, import.meta.url)),
    catch: (cause) => new Error(`dashboard asset ${name} is missing`, { cause })
  }).pipe(Effect.orDie)

/** Messages the sign-in page may show, chosen by a code in the query: nothing the caller writes is echoed. */
const MESSAGES: Record<string, string> = {
  invalid: "That key was not accepted.",
  forbidden: "That key does not belong to an admin.",
  unavailable: "Sign-in is unavailable right now; retry in a moment.",
  expired: "Your session ended; sign in again.",
  "signed-out": "You are signed out."
}

export const loadAssets = Effect.gen(function* () {
  const files = new Map<AssetName, Uint8Array>()
  for (const name of Object.keys(ASSETS)) if (isAsset(name)) files.set(name, yield* read(name))
  const dashboard = new TextDecoder().decode(yield* read("dashboard.html"))
  const login = new TextDecoder().decode(yield* read("login.html"))

  const html = (body: string) => HttpServerResponse.text(body, { contentType: "text/html; charset=utf-8", headers: securityHeaders("no-store") })

  return {
    dashboardPage: html(dashboard),
    loginPage: (code: string | undefined) => {
      const message = code === undefined ? undefined : MESSAGES[code]
      return html(login.replace("<!--message-->", message === undefined ? "" : `<p class="message" role="alert">${message}</p>`))
    },
    /** `undefined` for a name that is not one of the files. */
    asset: (name: string) => {
      const body = isAsset(name) ? files.get(name) : undefined
      return body === undefined || !isAsset(name)
        ? undefined
        : HttpServerResponse.uint8Array(body, { contentType: ASSETS[name], headers: securityHeaders("no-cache") })
    }
  } as const
})
