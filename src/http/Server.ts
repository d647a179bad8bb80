import { HttpApiBuilder, HttpApiScalar, HttpMiddleware } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Api } from "../api/Api.js"
import { isLiveEventsPath } from "../api/LiveEventsApi.js"
import { MaxBodyBytes } from "../config/AppConfig.js"
import { Draining, DrainOnShutdown } from "../observability/Draining.js"
import { Health } from "../observability/Health.js"
import { observeRequests, RequestWindow } from "../observability/RequestWindow.js"
import { isUntraced } from "../observability/Tracing.js"
import { DashboardSessions } from "../security/DashboardSessions.js"
import { ActivityHttp } from "./ActivityHttp.js"
import { AuthenticationLive } from "./Authentication.js"
import { BoardHttp } from "./BoardHttp.js"
import { DashboardHttp } from "./DashboardHttp.js"
import { DatabaseInsightHttp } from "./DatabaseInsightHttp.js"
import { DeadLettersHttp } from "./DeadLettersHttp.js"
import { HealthHttp } from "./HealthHttp.js"
import { JobsHttp } from "./JobsHttp.js"
import { LiveAuthenticationLive, LiveEventsHttp, LiveEventsLive } from "./LiveEventsHttp.js"
import { MetricsHttp } from "./MetricsHttp.js"
import { ProjectsHttp } from "./ProjectsHttp.js"
import { guardRequests } from "./RequestGuards.js"
import { RequestTimeout, withDeadline } from "./RequestDeadline.js"
import { requestMiddleware } from "./RequestMiddleware.js"
import { TasksHttp } from "./TasksHttp.js"
import { UsersHttp } from "./UsersHttp.js"

export const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide([UsersHttp, ProjectsHttp, BoardHttp, TasksHttp, HealthHttp, JobsHttp, DeadLettersHttp, DatabaseInsightHttp, ActivityHttp, LiveEventsHttp]),
  Layer.provide(LiveAuthenticationLive),
  Layer.provide(AuthenticationLive)
)

/** What health, the dashboard and the request path share; `Draining` is also an output, for shutdown. */
const ObservabilityLive = Health.Default.pipe(Layer.provideMerge(Layer.mergeAll(RequestWindow.Default, Draining.Default)))

/** Inside the router, so that a refusal still gets the error shape and an access line. */
const GuardsLive = HttpApiBuilder.middleware(Effect.map(MaxBodyBytes, guardRequests))

/** Inside the guards' and the error shape's reach: a late request still gets both (RequestDeadline.ts). */
const DeadlineLive = HttpApiBuilder.middleware(Effect.map(RequestTimeout, withDeadline))

/**
 * Every request gets a server span (continuing an incoming `traceparent`) except probes,
 * scrapes and the dashboard.
 */
const ServeLive = HttpApiBuilder.serve((app) => requestMiddleware(observeRequests(app))).pipe(
  // The live stream's URL may carry a key (`?access_token=`), which a server span would record.
  HttpMiddleware.withTracerDisabledWhen((request) => isUntraced(request) || isLiveEventsPath(request.url)),
  Layer.provide(MetricsHttp),
  Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/api/openapi.json" })),
  Layer.provide(GuardsLive),
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
