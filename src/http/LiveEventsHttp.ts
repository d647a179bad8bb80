import { Sse } from "@effect/experimental"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Layer, type Redacted, Schema, Stream } from "effect"
import { Api } from "../api/Api.js"
import { LiveAuthentication } from "../api/LiveEventsApi.js"
import { Authentication, CurrentActor } from "../api/Security.js"
import { PublicEvent, toPublicEvent } from "../domain/Activity.js"
import { type RepositoryError, TooManyRequests } from "../domain/Errors.js"
import { Draining } from "../observability/Draining.js"
import { heartbeats, LiveEvents, type LiveMessage } from "../services/LiveEvents.js"
import { LiveStreamsConfig } from "../security/SecurityConfig.js"
import { countSecurityEvent } from "../security/SecurityEvents.js"
import { ProjectAccess } from "../services/ProjectAccess.js"
import { orInternal } from "./Errors.js"

/**
 * The same checks as every other route, whichever way the key came: header first, then query.
 * `HttpApiBuilder` tries a middleware's schemes in turn and keeps the last one's failure, so a
 * header key that could not be looked up (`503`) would become the query scheme's `401` for a
 * missing key. A key that cannot be looked up therefore ends the attempt as a defect carrying
 * its error, which skips the other scheme; the API-wide errors then encode it as the same
 * `503`/`500` as on every other route (test/e2e/AuthenticationOutage.test.ts).
 */
export const LiveAuthenticationLive = Layer.effect(
  LiveAuthentication,
  Effect.map(Authentication, (authentication) => {
    const bearer = (token: Redacted.Redacted) =>
      authentication.bearer(token).pipe(Effect.catchTags({ ServiceUnavailable: Effect.die, InternalError: Effect.die }))
    return LiveAuthentication.of({ bearer, accessToken: bearer })
  })
)

const encodeEvent = Schema.encode(Schema.parseJson(PublicEvent))

// Where a browser reconnects after the stream ends (shutdown, a full buffer, a failure).
const RETRY = Sse.encoder.write(new Sse.Retry({ duration: Duration.seconds(3), lastEventId: undefined }))
const HEARTBEAT = ": heartbeat\n\n"

// The retry hint goes first, once subscribed: it is also what sends the headers, so a browser's
// `open` event means that nothing committed from then on can be missed.
const frame = (message: LiveMessage) =>
  message._tag === "Subscribed"
    ? Effect.succeed(RETRY)
    : Effect.map(encodeEvent(toPublicEvent(message.event)), (data) =>
        Sse.encoder.write({ _tag: "Event", id: message.event.id, event: message.event.type, data })
      )

/**
 * The response body: the retry hint, then each event as a message, with a heartbeat comment
 * when idle. Once the response has begun a failure can only end it: it is logged, and the
 * client reconnects with its `Last-Event-ID`.
 */
export const sseBody = (messages: Stream.Stream<LiveMessage, RepositoryError>): Stream.Stream<Uint8Array> =>
  Stream.merge(
    messages.pipe(
      Stream.mapEffect(frame),
      Stream.catchAll((error) => Stream.fromEffect(Effect.logWarning("live events: stream ended by a failure", error)).pipe(Stream.drain))
    ),
    Stream.as(heartbeats, HEARTBEAT),
    { haltStrategy: "left" }
  ).pipe(Stream.encodeText)

/** A client told there are too many streams should not retry at once: a slot frees when a stream ends. */
const STREAM_RETRY_SECONDS = 10

/**
 * Open streams, per key and in the process, each capped (`LIVE_STREAMS_PER_KEY`,
 * `LIVE_STREAMS_MAX`): a stream holds a connection and a subscription for as long as its client
 * keeps it, and 300 from one key were once all accepted. A slot is taken before the stream is
 * opened and given back when its body ends, however it ends.
 */
const makeStreamSlots = (perKey: number, perProcess: number) => {
  const byKey = new Map<string, number>()
  let total = 0
  const release = (key: string) =>
    Effect.sync(() => {
      total--
      const left = (byKey.get(key) ?? 1) - 1
      if (left <= 0) byKey.delete(key)
      else byKey.set(key, left)
    })
  const take = (key: string): Effect.Effect<Effect.Effect<void>, TooManyRequests> =>
    Effect.suspend(() => {
      const held = byKey.get(key) ?? 0
      if (held >= perKey || total >= perProcess) {
        const message = held >= perKey
          ? `this key already has ${perKey} live streams open (LIVE_STREAMS_PER_KEY); close one first`
          : "this server has as many live streams open as it takes; retry later"
        return Effect.zipRight(countSecurityEvent("rate_limited"), Effect.fail(new TooManyRequests({ message, retryAfterSeconds: STREAM_RETRY_SECONDS })))
      }
      byKey.set(key, held + 1)
      total++
      return Effect.succeed(release(key))
    })
  return { take }
}

export const LiveEventsHttp = HttpApiBuilder.group(Api, "live", (handlers) =>
  Effect.gen(function* () {
    const live = yield* LiveEvents
    const draining = yield* Draining
    const limits = yield* LiveStreamsConfig
    const slots = makeStreamSlots(limits.perKey, limits.perProcess)
    return handlers.handle("streamEvents", ({ headers, path }) =>
      CurrentActor.pipe(
        Effect.flatMap((actor) =>
          Effect.flatMap(slots.take(actor.keyId ?? `user:${actor.user.id}`), (release) =>
            live.open(actor, path.projectId, headers["last-event-id"] ?? null).pipe(
              Effect.map((events) => Stream.ensuring(events, release)),
              Effect.tapErrorCause(() => release)
            )
          )
        ),
        Effect.map((events) =>
          // Streams end when the process starts draining (as the dashboard's do), not when the
          // server's drain budget runs out: the browser reconnects, with `Last-Event-ID`, elsewhere.
          HttpServerResponse.stream(sseBody(events).pipe(Stream.interruptWhen(draining.await)), {
            contentType: "text/event-stream",
            // No caching, and no buffering by nginx-style proxies, which would hold messages back.
            headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
          })
        ),
        orInternal
      )
    )
  })
)

/**
 * The process-wide `LiveEvents`, for the HTTP application to provide (and export, for tests):
 * built with it and finalized after the server's drain (streams have ended at draining by then;
 * its finalizer ends any left).
 */
export const LiveEventsLive = LiveEvents.Default.pipe(Layer.provide(ProjectAccess.Default))
