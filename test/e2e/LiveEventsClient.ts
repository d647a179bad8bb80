import { type Headers, HttpClient, HttpClientRequest } from "@effect/platform"
import { Chunk, Effect, Option, Stream } from "effect"

/** One message of an event stream, as its fields: `comment` for `: ...` lines. */
export interface Frame {
  readonly id?: string
  readonly event?: string
  readonly data?: string
  readonly retry?: string
  readonly comment?: string
}

const parseFrame = (lines: ReadonlyArray<string>): Frame => {
  const frame: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(":")
    const [field, value] = colon === 0 ? ["comment", line.slice(1).trim()] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, "")]
    frame[field] = frame[field] === undefined ? value : `${frame[field]}\n${value}`
  }
  return frame
}

/** The body as frames: lines up to each blank line. */
const frames = <E>(body: Stream.Stream<Uint8Array, E>): Stream.Stream<Frame, E> =>
  body.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.mapAccum([] as ReadonlyArray<string>, (lines, line): readonly [ReadonlyArray<string>, Option.Option<Frame>] =>
      line === "" ? [[], lines.length === 0 ? Option.none() : Option.some(parseFrame(lines))] : [[...lines, line], Option.none()]
    ),
    Stream.filterMap((frame) => frame)
  )

export interface EventStream {
  readonly status: number
  readonly headers: Headers.Headers
  /** The next frame, waiting for it; dies if the stream ends first. */
  readonly next: Effect.Effect<Frame>
  /** The next event, skipping comments and the retry hint. */
  readonly nextEvent: Effect.Effect<Frame>
}

/**
 * Opens `GET /api/v1/projects/{id}/events` as a browser's EventSource would, for as long as the
 * scope lasts: closing it hangs up.
 */
export const openEvents = (projectId: string, options: { readonly token?: string; readonly query?: string; readonly lastEventId?: string }) =>
  Effect.gen(function* () {
    const http = HttpClient.withScope(yield* HttpClient.HttpClient)
    let request = HttpClientRequest.get(`/api/v1/projects/${projectId}/events${options.query ?? ""}`)
    if (options.token !== undefined) request = HttpClientRequest.bearerToken(request, options.token)
    if (options.lastEventId !== undefined) request = HttpClientRequest.setHeader(request, "last-event-id", options.lastEventId)
    const response = yield* Effect.orDie(http.execute(request))
    const pull = yield* Stream.toPull(frames(response.stream))
    const buffered: Array<Frame> = []
    const next: Effect.Effect<Frame> = Effect.suspend(() => {
      const frame = buffered.shift()
      if (frame !== undefined) return Effect.succeed(frame)
      return pull.pipe(
        Effect.catchAll(() => Effect.dieMessage("the event stream ended")),
        Effect.flatMap((chunk) => {
          buffered.push(...Chunk.toReadonlyArray(chunk))
          return next
        })
      )
    })
    const nextEvent: Effect.Effect<Frame> = Effect.flatMap(next, (frame) => (frame.event === undefined && frame.data === undefined ? nextEvent : Effect.succeed(frame)))
    return { status: response.status, headers: response.headers, next, nextEvent } satisfies EventStream
  })
