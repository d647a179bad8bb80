import { HttpApiBuilder, HttpApiScalar, HttpMiddleware } from "@effect/platform"
import { Effect, Layer } from "effect"
import * as ConfigError from "effect/ConfigError"
import { Api } from "../api/Api.js"
import { AuditTrail } from "../audit/AuditTrail.js"
import { isLiveEventsPath } from "../api/LiveEventsApi.js"
import { MaxBodyBytes } from "../config/AppConfig.js"
import { AttachmentMaxBytes } from "../config/AttachmentConfig.js"
import { Draining, DrainOnShutdown } from "../observability/Draining.js"
import { Health } from "../observability/Health.js"
import { observeRequests, RequestWindow } from "../observability/RequestWindow.js"
import { isUntraced } from "../observability/Tracing.js"
import { parseTrustedProxies } from "../security/ClientAddress.js"
import { DashboardSessions } from "../security/DashboardSessions.js"
import { RateLimiter, RateLimiterLive } from "../security/RateLimiter.js"
import { AuthBlockConfig, HeadersConfig, RateLimitConfig, TrustProxyConfig } from "../security/SecurityConfig.js"
import { ActivityHttp } from "./ActivityHttp.js"
import { AttachmentsHttp } from "./AttachmentsHttp.js"
import { AuthenticationLive } from "./Authentication.js"
import { AuditHttp } from "./AuditHttp.js"
import { BoardHttp } from "./BoardHttp.js"
import { DashboardHttp } from "./DashboardHttp.js"
import { DatabaseInsightHttp } from "./DatabaseInsightHttp.js"
import { DeadLettersHttp } from "./DeadLettersHttp.js"
import { HealthHttp } from "./HealthHttp.js"
import { JobsHttp } from "./JobsHttp.js"
import { LiveAuthenticationLive, LiveEventsHttp, LiveEventsLive } from "./LiveEventsHttp.js"
import { MetricsHttp } from "./MetricsHttp.js"
import { ProjectsHttp } from "./ProjectsHttp.js"
import { rateLimit, withClientAddress } from "./RateLimiting.js"
import { guardRequests } from "./RequestGuards.js"
import { RequestTimeout, withDeadline } from "./RequestDeadline.js"
import { requestMiddleware } from "./RequestMiddleware.js"
import { TasksHttp } from "./TasksHttp.js"
import { UsersHttp } from "./UsersHttp.js"
import { WebhooksHttp } from "./WebhooksHttp.js"

export const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide([UsersHttp, ProjectsHttp, BoardHttp, TasksHttp, AttachmentsHttp, HealthHttp, JobsHttp, DeadLettersHttp, DatabaseInsightHttp, ActivityHttp, LiveEventsHttp, AuditHttp, WebhooksHttp]),
  Layer.provide(LiveAuthenticationLive),
  Layer.provide(AuthenticationLive)
)

/**
 * What health, the dashboard and the request path share; `Draining` is also an output, for
 * shutdown. The rate limiter is here because `/health` reports its fallback.
 */
const ObservabilityLive = Health.Default.pipe(Layer.provideMerge(Layer.mergeAll(RequestWindow.Default, Draining.Default, RateLimiterLive)))

/** Inside the router, so that a refusal still gets the error shape and an access line. */
const GuardsLive = HttpApiBuilder.middleware(Effect.zipWith(MaxBodyBytes, AttachmentMaxBytes, guardRequests))

/**
 * Rate limits and authentication blocks: after the guards (a refusal by them costs no budget),
 * before authentication. `TRUST_PROXY` is checked here, at start: an entry that is not an
 * address or range stops the process rather than trusting the wrong hosts.
 */
const RateLimitLive = HttpApiBuilder.middleware(
  Effect.gen(function* () {
    const limits = yield* RateLimitConfig
    const blocks = yield* AuthBlockConfig
    const proxies = yield* TrustProxyConfig
    const trusted = proxies.length === 0 ? null : parseTrustedProxies(proxies)
    if (trusted !== null && typeof trusted !== "function") {
      return yield* Effect.fail(ConfigError.InvalidData(["TRUST_PROXY"], `not an address, a CIDR range, loopback or private: ${trusted.invalid}`))
    }
    const limiter = yield* RateLimiter
    const audit = yield* AuditTrail
    return limits.enabled ? rateLimit({ limits, blocks, trusted, limiter, audit }) : withClientAddress(trusted)
  })
)

/** Inside the guards' and the error shape's reach: a late request still gets both (RequestDeadline.ts). */
const DeadlineLive = HttpApiBuilder.middleware(Effect.map(RequestTimeout, withDeadline))

/**
 * Every request gets a server span (continuing an incoming `traceparent`) except probes,
 * scrapes and the dashboard.
 */
const ServeLive = Layer.unwrapEffect(
  Effect.map(HeadersConfig, (headers) => HttpApiBuilder.serve((app) => requestMiddleware(headers)(observeRequests(app))))
).pipe(
  // The live stream's URL may carry a key (`?access_token=`), which a server span would record.
  HttpMiddleware.withTracerDisabledWhen((request) => isUntraced(request) || isLiveEventsPath(request.url)),
  Layer.provide(MetricsHttp),
  // Scalar's script is inlined by the platform (no CDN); its default fonts come from a third
  // party, and the page's CSP (SecurityHeaders.ts) refuses every other host anyway.
  Layer.provide(HttpApiScalar.layer({ path: "/docs", scalar: { withDefaultFonts: false } })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/api/openapi.json" })),
  Layer.provide(GuardsLive),
  Layer.provide(RateLimitLive),
  Layer.provide(DeadlineLive),
  Layer.provide(ApiLive),
  Layer.provideMerge(LiveEventsLive),
  Layer.provide(DashboardHttp.pipe(Layer.provide(DashboardSessions.Default)))
)

/**
 * The whole HTTP application, waiting for an `HttpServer` (Node's, or the test server). Built
 * after the server, `DrainOnShutdown` is released before it: on shutdown readiness turns false
 * (and open dashboard streams end) while requests are still answered.
 */
export const HttpAppLive = DrainOnShutdown.pipe(Layer.provideMerge(ServeLive), Layer.provideMerge(ObservabilityLive))
