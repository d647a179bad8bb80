/**
 * Rate limits and authentication blocks, after the cheap refusals and before authentication
 * (ARCHITECTURE.md's request pipeline). A request is charged to its key's budget when it
 * presents a well-formed key (`fb_<prefix>_…`: the prefix names the key without a database
 * read), otherwise to its client address's anonymous budget. A key presented and refused counts
 * as a failure against the address and the prefix; too many block them (RateLimitStore.ts).
 */
import { HttpApp, type HttpApp as App, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, FiberRef, Option } from "effect"
import type { AuditTrail } from "../audit/AuditTrail.js"
import { CurrentClientAddress } from "../observability/RequestContext.js"
import { CurrentRequestStats } from "../observability/RequestStats.js"
import { parse as parseKey } from "../security/ApiKeyCodec.js"
import { clientAddress, type TrustedProxies } from "../security/ClientAddress.js"
import type { Decision, Policy } from "../security/Gcra.js"
import type { RateLimiter } from "../security/RateLimiter.js"
import type { Charge } from "../security/RateLimitStore.js"
import type { AuthBlockSettings, RateLimitSettings } from "../security/SecurityConfig.js"
import { countSecurityEvent } from "../security/SecurityEvents.js"
import { pathnameOf } from "./RouteTemplate.js"

/**
 * Operations that start a job, replay events or read the whole audit trail (bulk, import,
 * export, dead-letter replay, audit export and verify): their own small budget, on top of a
 * write or a read. Matched on the path alone, one regex: the guards before have already
 * matched the route, and this runs on every limited request.
 */
const EXPENSIVE_PATH = /^\/api\/v1\/(?:projects\/[^/]+\/(?:tasks\/bulk|import|export)|admin\/dead-letters\/(?:[^/]+\/)?replay|admin\/audit\/(?:export|verify))$/

export const isExpensive = (pathname: string): boolean => EXPENSIVE_PATH.test(pathname)

const READS = new Set(["GET", "HEAD", "OPTIONS"])

/** The API, its document and reference, the dashboard; never probes and scrapes. */
const isLimited = (pathname: string) => pathname.startsWith("/api/") || pathname === "/docs" || pathname.startsWith("/dashboard")

const BEARER = /^Bearer\s+(\S+)$/i
const LIVE = /^\/api\/v1\/projects\/[^/]+\/events$/

/** The prefix of the well-formed key the request presents, if it presents one. */
const presentedPrefix = (request: HttpServerRequest.HttpServerRequest, pathname: string): string | null => {
  const bearer = BEARER.exec(request.headers["authorization"] ?? "")
  let token = bearer?.[1]
  if (token === undefined && LIVE.test(pathname)) {
    const query = request.url.indexOf("?")
    token = query === -1 ? undefined : (new URLSearchParams(request.url.slice(query + 1)).get("access_token") ?? undefined)
  }
  return token === undefined ? null : (parseKey(token)?.prefix ?? null)
}

interface Named extends Charge {
  readonly name: "read" | "write" | "expensive" | "anonymous"
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/** draft-ietf-httpapi-ratelimit-headers: each policy in force, and where each budget stands. */
const rateLimitHeaders = (charges: ReadonlyArray<Named>, decisions: ReadonlyArray<Decision>): Record<string, string> => ({
  "ratelimit-policy": charges.map((c) => `"${c.name}";q=${c.policy.limit};w=${seconds(c.policy.periodMs)}`).join(", "),
  ratelimit: charges.map((c, i) => `"${c.name}";r=${decisions[i]?.remaining ?? 0};t=${Math.ceil((decisions[i]?.resetMs ?? 0) / 1000)}`).join(", ")
})

const tooMany = (message: string, retryAfterMs: number, headers: Record<string, string>) =>
  HttpServerResponse.unsafeJson(
    { _tag: "TooManyRequests", message, retryAfterSeconds: seconds(retryAfterMs) },
    { status: 429, headers: { ...headers, "retry-after": String(seconds(retryAfterMs)) } }
  )

export interface RateLimiting {
  readonly limits: RateLimitSettings
  readonly blocks: AuthBlockSettings
  readonly trusted: TrustedProxies | null
  readonly limiter: typeof RateLimiter.Service
  readonly audit: typeof AuditTrail.Service
}

/** The client address for the audit trail when rate limits are off: the same rule, no budgets. */
export const withClientAddress = (trusted: TrustedProxies | null) => <E, R>(app: App.Default<E, R>): App.Default<E, R> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.locally(app, CurrentClientAddress, clientAddress(Option.getOrUndefined(request.remoteAddress), request.headers["x-forwarded-for"], trusted))
  )

export const rateLimit = (settings: RateLimiting) => {
  const periodMs = Duration.toMillis(settings.limits.window)
  const policy = (limit: number): Policy => ({ limit, periodMs })
  const policies = {
    read: policy(settings.limits.read),
    write: policy(settings.limits.write),
    expensive: policy(settings.limits.expensive),
    anonymous: policy(settings.limits.anonymous)
  }
  const failures = { policy: { limit: settings.blocks.failures, periodMs: Duration.toMillis(settings.blocks.window) }, baseMs: Duration.toMillis(settings.blocks.base), maxMs: Duration.toMillis(settings.blocks.max) }

  const chargesFor = (method: string, pathname: string, prefix: string | null, address: string): ReadonlyArray<Named> => {
    if (prefix === null) return [{ name: "anonymous", key: `address:${address}:anonymous`, policy: policies.anonymous, cost: 1 }]
    const base: Named = READS.has(method)
      ? { name: "read", key: `key:${prefix}:read`, policy: policies.read, cost: 1 }
      : { name: "write", key: `key:${prefix}:write`, policy: policies.write, cost: 1 }
    return isExpensive(pathname)
      ? [base, { name: "expensive", key: `key:${prefix}:expensive`, policy: policies.expensive, cost: 1 }]
      : [base]
  }

  const limiter = settings.limiter
  const audit = settings.audit
  return <E, R>(app: App.Default<E, R>): App.Default<E, R> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const pathname = pathnameOf(request)
      if (!isLimited(pathname)) return yield* app
      const stats = yield* FiberRef.get(CurrentRequestStats)
      const address = clientAddress(Option.getOrUndefined(request.remoteAddress), request.headers["x-forwarded-for"], settings.trusted)
      const prefix = presentedPrefix(request, pathname)
      const subjects = prefix === null ? [`address:${address}`] : [`address:${address}`, `prefix:${prefix}`]
      const charges = chargesFor(request.method, pathname, prefix, address)

      const admission = yield* limiter.admit(subjects, charges)
      const run = Effect.locally(app, CurrentClientAddress, address)
      if (admission._tag === "Blocked") {
        yield* countSecurityEvent("blocked_request")
        const what = admission.subject.startsWith("prefix:") ? "this key" : "this address"
        return tooMany(`too many failed authentications: ${what} is blocked, retry later`, admission.retryAfterMs, {})
      }
      const headers = rateLimitHeaders(charges, admission.decisions)
      const refused = admission.decisions.findIndex((d) => !d.allowed)
      if (refused !== -1) {
        yield* countSecurityEvent("rate_limited")
        const decision = admission.decisions[refused]!
        return tooMany(`rate limit "${charges[refused]!.name}" exceeded: ${charges[refused]!.policy.limit} requests per ${Duration.format(settings.limits.window)}`, decision.retryAfterMs, headers)
      }

      yield* HttpApp.appendPreResponseHandler((_request, response) =>
        Effect.gen(function* () {
          if (response.status === 403) {
            yield* countSecurityEvent("scope_denied")
            yield* audit.note({ userId: stats?.userId ?? null, address }, { action: "access.denied", targetType: "route", targetId: `${request.method} ${pathname}`, outcome: "denied" })
          }
          if (stats?.authenticationFailed === true) {
            yield* countSecurityEvent("authentication_failure")
            yield* audit.note({ address }, { action: "auth.failed", targetType: "apikey", targetId: prefix, outcome: "failure", details: { route: `${request.method} ${pathname}` } })
            const blocked = yield* limiter.fail({ subjects, ...failures })
            for (const block of blocked) {
              // Once per block, not per refused request: the block is the event.
              yield* countSecurityEvent("blocked")
              yield* audit.note({ address }, {
                action: "auth.blocked",
                targetType: block.subject.startsWith("prefix:") ? "apikey" : "address",
                targetId: block.subject.slice(block.subject.indexOf(":") + 1),
                outcome: "failure",
                details: { durationSeconds: seconds(block.durationMs), strikes: block.strikes }
              })
              yield* Effect.logWarning(`authentication: ${block.subject} blocked for ${seconds(block.durationMs)} s after repeated failures`).pipe(
                Effect.annotateLogs({ kind: "security", event: "blocked", subject: block.subject, durationMs: block.durationMs, strikes: block.strikes })
              )
            }
          }
          return HttpServerResponse.setHeaders(response, headers)
        })
      )
      return yield* run
    })
}
