import { type HttpApp, HttpMiddleware, HttpServerResponse } from "@effect/platform"
import { Duration } from "effect"
import type { HeadersSettings } from "../security/SecurityConfig.js"

/**
 * The headers every response carries, set on the way out by the outermost middleware:
 *
 * - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 *   `Cross-Origin-Resource-Policy: same-origin`, `X-Frame-Options: DENY`;
 * - a CSP that lets a JSON answer do nothing at all if a browser ever renders it; `/docs` gets
 *   one that lets its page run and reach nothing but this origin; routes that set their own
 *   (the dashboard, attachment downloads) keep it;
 * - `Cache-Control: no-store` on the API: its answers are per caller, and a shared cache must
 *   never hand one caller's data to another (the live stream's `no-cache` becomes `no-store`);
 * - `Strict-Transport-Security` when `SERVED_OVER_TLS`.
 */
const JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"

/**
 * The API reference's page inlines its script and styles (`HttpApiScalar`, no CDN) and calls the
 * API on this origin only: nothing may be fetched from, or sent to, another host.
 */
export const DOCS_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join("; ")

export const withSecurityHeaders = (settings: HeadersSettings) => {
  const hsts = settings.servedOverTls ? `max-age=${Math.floor(Duration.toSeconds(settings.hstsMaxAge))}; includeSubDomains` : null
  return (pathname: string, response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse => {
    const headers: Record<string, string> = {
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cross-origin-resource-policy": "same-origin",
      "x-frame-options": "DENY"
    }
    if (response.headers["content-security-policy"] === undefined) {
      headers["content-security-policy"] = pathname === "/docs" ? DOCS_POLICY : JSON_POLICY
    }
    if (pathname.startsWith("/api/")) headers["cache-control"] = "no-store"
    if (hsts !== null) headers["strict-transport-security"] = hsts
    return HttpServerResponse.setHeaders(response, headers)
  }
}

/** Request headers a browser may send cross-origin, and response headers its script may read. */
const ALLOWED_HEADERS = ["authorization", "content-type", "x-request-id", "last-event-id", "traceparent"]
const EXPOSED_HEADERS = ["x-request-id", "retry-after", "ratelimit", "ratelimit-policy", "location", "allow"]

/**
 * CORS for the configured origins (`CORS_ORIGINS`); none configured, no CORS headers and no
 * preflight answers (a browser on another origin can then not call the API). Never
 * `Access-Control-Allow-Credentials`: the API authenticates with a bearer key, not cookies, so
 * no origin, `*` least of all, is ever let ride on a browser's ambient credentials.
 */
export const withCors = (settings: HeadersSettings): (<E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R>) => {
  if (settings.corsOrigins.length === 0) return (app) => app
  const any = settings.corsOrigins[0] === "*"
  const origins = new Set(settings.corsOrigins)
  return HttpMiddleware.cors({
    allowedOrigins: (origin: string) => any || origins.has(origin),
    allowedMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    credentials: false
  })
}

/** The request asked for a `Server-Timing` header it may see. */
export const mayTime = (setting: HeadersSettings["serverTiming"], admin: boolean): boolean =>
  setting === "all" || (setting === "admin" && admin)
