import { HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { NotFound, ValidationError } from "../domain/Errors.js"
import { EventId } from "../domain/Ids.js"
import { projectId } from "./Common.js"
import { AuthenticationFailure, CurrentActor } from "./Security.js"

/**
 * The bearer header as everywhere, or, on this route alone, `?access_token=`: a browser's
 * `EventSource` cannot set headers. A key in a URL can end up in proxy logs and browser history,
 * so give a browser a key with only the `read` scope; our access log records route templates,
 * never query strings.
 */
export class LiveAuthentication extends HttpApiMiddleware.Tag<LiveAuthentication>()("flowboard/LiveAuthentication", {
  provides: CurrentActor,
  failure: AuthenticationFailure,
  security: {
    bearer: HttpApiSecurity.bearer,
    accessToken: HttpApiSecurity.apiKey({ key: "access_token", in: "query" }).pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "An API key in the query, for EventSource clients; prefer a read-only key")
    )
  }
}) {}

export class LiveEventsApi extends HttpApiGroup.make("live")
  .add(
    HttpApiEndpoint.get("streamEvents")`/projects/${projectId}/events`
      .setHeaders(
        Schema.Struct({
          "last-event-id": Schema.optional(EventId).annotations({ description: "Resume after this event: the outbox replays what came later" })
        })
      )
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .addError(NotFound)
      .addError(ValidationError)
  )
  .annotate(OpenApi.Title, "Live events")
  .annotate(
    OpenApi.Description,
    "The project's events as Server-Sent Events: `id:` the event id, `event:` its type, `data:` the envelope as JSON. A comment line every 15 s keeps the connection open. Reconnect with `Last-Event-ID` (EventSource does) to receive what was missed. Members only; non-members get 404."
  ) {}

/**
 * Requests of this route: their URL may carry a key, and they last minutes, so they get no
 * server span (whose `url.full` and `url.query` attributes would record the key).
 */
export const isLiveEventsPath = (url: string): boolean => /^\/api\/v1\/projects\/[^/?#]+\/events(?:[?#]|$)/.test(url)
