/**
 * The HTTP client webhook deliveries go out through. Every address is checked where the socket
 * is made: the agent resolves the host itself through a guarded lookup, so the address judged is
 * the address connected to, and a DNS answer that changes between a check and the connect
 * (rebinding) has nothing to slip through. Redirects are never followed: a receiver could
 * otherwise point us anywhere, and a delivery is judged by its first answer anyway.
 */
import { type Headers, HttpClient, HttpClientError, type HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Chunk, Clock, Data, Duration, Effect, Option, Predicate, type Scope, Stream } from "effect"
import { lookup as dnsLookup } from "node:dns"
import * as http from "node:http"
import * as https from "node:https"
import { isIP, type LookupFunction } from "node:net"
import { type Duplex, PassThrough } from "node:stream"
import { AddressRefused, type AllowList, refusal } from "./AddressGuard.js"

export interface OutboundHttpOptions {
  readonly allow: AllowList
  readonly connectTimeout: Duration.DurationInput
  /** Tests inject a fake DNS. */
  readonly lookup?: LookupFunction
}

class ConnectTimeout extends Data.TaggedError("ConnectTimeout")<{ readonly host: string; readonly after: Duration.Duration }> {
  override get message(): string {
    return `no connection to ${this.host} within ${Duration.format(this.after)}`
  }
}

interface Guard {
  readonly allow: AllowList
  readonly lookup: LookupFunction
  readonly connectTimeout: Duration.Duration
}

/** Resolves as asked (one address or all), failing when any answer may not be reached. */
const guardedLookup = (guard: Guard): LookupFunction => (hostname, options, callback) =>
  guard.lookup(hostname, options, (error, address, family) => {
    if (error !== null) return callback(error, address, family)
    for (const candidate of typeof address === "string" ? [address] : address.map((entry) => entry.address)) {
      const reason = refusal(hostname, candidate, guard.allow)
      if (reason !== null) return callback(new AddressRefused({ host: hostname, address: candidate, reason }), address, family)
    }
    callback(null, address, family)
  })

type OnCreate = (error: Error | null, socket: Duplex) => void

const connectGuarded = (
  guard: Guard,
  options: http.ClientRequestArgs,
  oncreate: OnCreate | undefined,
  connect: (options: http.ClientRequestArgs) => Duplex | null | undefined
): Duplex | null | undefined => {
  const host = options.host ?? "localhost"
  // Node does not look up an IP literal, so the guarded lookup would never see it.
  const reason = isIP(host) === 0 ? null : refusal(host, host, guard.allow)
  if (reason !== null) {
    const refused = new AddressRefused({ host, address: host, reason })
    // Given an error, the agent fails the request with it and ignores the socket, which the
    // callback's type still asks for. (A socket returned errored would first fail the request's
    // write with a less telling error; throwing would escape the request as a defect.)
    process.nextTick(() => oncreate?.(refused, new PassThrough()))
    return undefined
  }
  const socket = connect({ ...options, lookup: guardedLookup(guard) })
  if (socket === null || socket === undefined) return socket
  // A socket-level timer: the agent owns the socket, out of reach of the fiber and its Clock.
  const timer = setTimeout(() => socket.destroy(new ConnectTimeout({ host, after: guard.connectTimeout })), Duration.toMillis(guard.connectTimeout))
  timer.unref()
  const settle = () => clearTimeout(timer)
  socket.once("connect", settle)
  socket.once("close", settle)
  return socket
}

class GuardedHttpAgent extends http.Agent {
  constructor(private readonly guard: Guard) {
    super({ keepAlive: true })
  }
  override createConnection(options: http.ClientRequestArgs, oncreate?: OnCreate): Duplex | null | undefined {
    return connectGuarded(this.guard, options, oncreate, (guarded) => super.createConnection(guarded, oncreate))
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly guard: Guard) {
    super({ keepAlive: true })
  }
  override createConnection(options: http.ClientRequestArgs, oncreate?: OnCreate): Duplex | null | undefined {
    return connectGuarded(this.guard, options, oncreate, (guarded) => super.createConnection(guarded, oncreate))
  }
}

/** The outbound client; its agents (and their pooled connections) close with the scope. */
export const makeOutboundClient = (options: OutboundHttpOptions): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    const guard: Guard = { allow: options.allow, lookup: options.lookup ?? dnsLookup, connectTimeout: Duration.decode(options.connectTimeout) }
    const agent = yield* Effect.all({
      http: Effect.acquireRelease(Effect.sync(() => new GuardedHttpAgent(guard)), (made) => Effect.sync(() => made.destroy())),
      https: Effect.acquireRelease(Effect.sync(() => new GuardedHttpsAgent(guard)), (made) => Effect.sync(() => made.destroy()))
    })
    const client = yield* Effect.provideService(NodeHttpClient.make, NodeHttpClient.HttpAgent, {
      [NodeHttpClient.HttpAgentTypeId]: NodeHttpClient.HttpAgentTypeId,
      ...agent
    })
    // Receivers are third parties: our trace ids are none of their business. And no client span:
    // it would record the receiver's URL, which for many receivers (Slack's among them) is the
    // credential; the worker's span per attempt names the subscription instead.
    return client.pipe(HttpClient.withTracerPropagation(false), HttpClient.withTracerDisabledWhen(() => true))
  })

const findCause = <A>(error: unknown, is: (u: unknown) => u is A): Option.Option<A> => {
  let current = error
  for (let depth = 0; depth < 8 && current !== null && current !== undefined; depth++) {
    if (is(current)) return Option.some(current)
    current = Predicate.hasProperty(current, "cause") ? current.cause : undefined
  }
  return Option.none()
}

/** The refusal behind a failed request, if the guard is why it failed. */
export const refusedBy = (error: unknown): Option.Option<AddressRefused> =>
  findCause(error, (u): u is AddressRefused => u instanceof AddressRefused)

export interface Answer {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: string
  readonly truncated: boolean
  readonly durationMs: number
}

export class OutboundFailure extends Data.TaggedError("OutboundFailure")<{
  readonly reason: "refused" | "timeout" | "connect-timeout" | "transport"
  readonly message: string
  readonly cause?: unknown
}> {}

const failureOf = (error: unknown): OutboundFailure =>
  Option.match(refusedBy(error), {
    onSome: (refused) => new OutboundFailure({ reason: "refused", message: refused.reason, cause: refused }),
    onNone: () =>
      Option.match(findCause(error, (u): u is ConnectTimeout => u instanceof ConnectTimeout), {
        onSome: (timeout) => new OutboundFailure({ reason: "connect-timeout", message: timeout.message, cause: error }),
        onNone: () => new OutboundFailure({ reason: "transport", message: error instanceof Error ? error.message : String(error), cause: error })
      })
  })

/** What a wrapping client adds (an open circuit), and our own failures, pass through as they are. */
const isForeign = <E>(error: E): error is Exclude<E, HttpClientError.HttpClientError> => !HttpClientError.isHttpClientError(error)

const sorted = <E>(error: E): OutboundFailure | Exclude<E, HttpClientError.HttpClientError> => (isForeign(error) ? error : failureOf(error))

/**
 * Reads at most one chunk past `maxBytes`, enough to know there was more; stopping the stream
 * aborts the request, so the rest is never buffered (the connection is discarded).
 */
const readAtMost = <E>(body: Stream.Stream<Uint8Array, E>, maxBytes: number) =>
  Effect.map(
    Stream.runFoldWhile(body, { parts: Chunk.empty<Uint8Array>(), size: 0 }, (read) => read.size <= maxBytes, (read, part) => ({
      parts: Chunk.append(read.parts, part),
      size: read.size + part.length
    })),
    ({ parts, size }) => {
      const bytes = new Uint8Array(size)
      let offset = 0
      for (const part of parts) {
        bytes.set(part, offset)
        offset += part.length
      }
      return { bytes: bytes.subarray(0, maxBytes), truncated: size > maxBytes }
    }
  )

/**
 * One request and its answer, the body cut at `maxBodyBytes`, all within `timeout`. Errors of a
 * wrapping client that are not HTTP errors (an open circuit) pass through unchanged.
 */
export const exchange = <E>(
  client: HttpClient.HttpClient.With<E>,
  request: HttpClientRequest.HttpClientRequest,
  limits: { readonly timeout: Duration.DurationInput; readonly maxBodyBytes: number }
): Effect.Effect<Answer, OutboundFailure | Exclude<E, HttpClientError.HttpClientError>> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const response = yield* client.execute(request)
    const { bytes, truncated } = yield* readAtMost(response.stream, limits.maxBodyBytes)
    const finished = yield* Clock.currentTimeMillis
    const body = new TextDecoder("utf-8", { fatal: false }).decode(bytes)
    return { status: response.status, headers: response.headers, body, truncated, durationMs: finished - started }
  }).pipe(
    Effect.timeoutFail({
      duration: limits.timeout,
      onTimeout: () => new OutboundFailure({ reason: "timeout", message: `timed out: no complete answer within ${Duration.format(limits.timeout)}` })
    }),
    Effect.mapError(sorted),
    Effect.withSpan("OutboundHttp.exchange", { attributes: { "http.request.method": request.method } })
  )
