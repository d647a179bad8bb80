/**
 * The HTTP client webhook deliveries go out with: `@effect/platform`'s Node client on agents of
 * our own, so that every connection is checked where it is made.
 *
 * - The host is resolved by the connection's own `lookup`, and the connection fails with
 *   `AddressRefused` when any address the name resolves to is refused (AddressGuard.ts): the
 *   address checked is the address connected to, so a name whose answer changes between a
 *   check and the connect (DNS rebinding) gains nothing. An IP-literal host (Node skips the
 *   lookup for those) is checked before connecting.
 * - A socket that has not connected within `connectTimeout` is destroyed.
 * - Redirects are never followed (the platform's client follows none unless asked).
 * - `exchange` bounds the whole call, and reads at most `maxBodyBytes` of the answer.
 */
import { type Headers, HttpClient, type HttpClientError, type HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Chunk, Clock, Data, Duration, Effect, Layer, Option, Predicate, type Scope, Stream } from "effect"
import * as Dns from "node:dns"
import * as Http from "node:http"
import * as Https from "node:https"
import { isIP, type LookupFunction, type Socket } from "node:net"
import { type Duplex } from "node:stream"
import { CircuitOpenError } from "../resilience/CircuitBreaker.js"
import { AddressRefused, type AllowList, refusal } from "./AddressGuard.js"

export interface OutboundHttpOptions {
  readonly allow: AllowList
  readonly connectTimeout: Duration.DurationInput
  /** Tests give a fake DNS; the default is `dns.lookup`. */
  readonly lookup?: LookupFunction
}

type LookupAddress = { readonly address: string; readonly family: number }

/** `lookup`, refusing a name any of whose addresses may not be reached. */
const guardedLookup = (allow: AllowList, resolve: LookupFunction): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, "", 0)
      const all: ReadonlyArray<LookupAddress> = Array.isArray(addresses) ? addresses : [{ address: String(addresses), family: 0 }]
      for (const { address } of all) {
        const reason = refusal(hostname, address, allow)
        if (reason !== null) return callback(new AddressRefused({ host: hostname, address, reason }), "", 0)
      }
      if (options.all === true) return (callback as (error: null, addresses: ReadonlyArray<LookupAddress>) => void)(null, all)
      const first = all[0]
      return first === undefined ? callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0) : callback(null, first.address, first.family)
    })
  }

const hostOf = (options: Http.ClientRequestArgs): string => String(options.hostname ?? options.host ?? "").replace(/^\[(.*)\]$/, "$1")

/** Checks an IP-literal host, then bounds the connect; a name is checked by the lookup. */
const guardSocket = (options: Http.ClientRequestArgs, allow: AllowList, connectMs: number, connect: () => Duplex): Duplex => {
  const host = hostOf(options)
  if (isIP(host) !== 0) {
    const reason = refusal(host, host, allow)
    if (reason !== null) throw new AddressRefused({ host, address: host, reason })
  }
  const socket = connect() as Socket
  const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${host} within ${connectMs} ms`)), connectMs)
  const clear = () => clearTimeout(timer)
  socket.once("connect", clear)
  socket.once("close", clear)
  return socket
}

export const makeOutboundClient = (options: OutboundHttpOptions): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    const connectMs = Math.max(1, Duration.toMillis(Duration.decode(options.connectTimeout)))
    const lookup = guardedLookup(options.allow, options.lookup ?? (Dns.lookup as LookupFunction))
    class GuardedHttpAgent extends Http.Agent {
      override createConnection(args: Http.ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex {
        return guardSocket(args, options.allow, connectMs, () => super.createConnection({ ...args, lookup }, callback) as Duplex)
      }
    }
    class GuardedHttpsAgent extends Https.Agent {
      override createConnection(args: Http.ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex {
        return guardSocket(args, options.allow, connectMs, () => super.createConnection({ ...args, lookup }, callback) as Duplex)
      }
    }
    const agents = yield* Effect.acquireRelease(
      Effect.sync(() => ({ http: new GuardedHttpAgent({ keepAlive: true }), https: new GuardedHttpsAgent({ keepAlive: true }) })),
      ({ http, https }) => Effect.sync(() => {
        http.destroy()
        https.destroy()
      })
    )
    return yield* NodeHttpClient.make.pipe(
      Effect.provideService(NodeHttpClient.HttpAgent, { [NodeHttpClient.HttpAgentTypeId]: NodeHttpClient.HttpAgentTypeId, ...agents })
    )
  })

/** The `AddressRefused` behind a client error, if that is what failed it. */
export const refusedBy = (error: unknown): Option.Option<AddressRefused> => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof AddressRefused) return Option.some(current)
    current = Predicate.hasProperty(current, "cause") ? current.cause : undefined
  }
  return Option.none()
}

export class OutboundFailure extends Data.TaggedError("OutboundFailure")<{
  readonly reason: "refused" | "timeout" | "connect-timeout" | "transport"
  readonly message: string
  readonly cause?: unknown
}> {}

export interface Answer {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: string
  readonly truncated: boolean
  readonly durationMs: number
}

const failureOf = (error: HttpClientError.HttpClientError): OutboundFailure =>
  Option.match(refusedBy(error), {
    onSome: (refused) => new OutboundFailure({ reason: "refused", message: refused.message, cause: refused }),
    onNone: () => {
      const cause = error.cause
      const detail = cause instanceof Error ? cause.message : error.message
      return new OutboundFailure({ reason: /within \d+ ms/.test(detail) ? "connect-timeout" : "transport", message: detail, cause: error })
    }
  })

/**
 * Sends `request`, reads at most `maxBodyBytes` of the answer, all within `timeout`. The client
 * may be wrapped in a circuit breaker (HttpBreaker.ts): its refusal passes through as it is.
 */
export const exchange = (
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | CircuitOpenError>,
  request: HttpClientRequest.HttpClientRequest,
  limits: { readonly timeout: Duration.DurationInput; readonly maxBodyBytes: number }
): Effect.Effect<Answer, OutboundFailure | CircuitOpenError> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const answer = yield* Effect.scoped(
      Effect.gen(function* () {
        const response = yield* client.execute(request)
        // Read until the limit, then stop: the rest is never buffered.
        const chunks = yield* response.stream.pipe(
          Stream.scan({ bytes: 0, parts: Chunk.empty<Uint8Array>() }, (acc, chunk) => ({ bytes: acc.bytes + chunk.length, parts: Chunk.append(acc.parts, chunk) })),
          Stream.takeUntil((acc) => acc.bytes >= limits.maxBodyBytes),
          Stream.runLast
        )
        const collected = Option.getOrElse(chunks, () => ({ bytes: 0, parts: Chunk.empty<Uint8Array>() }))
        const whole = Buffer.concat(Chunk.toReadonlyArray(collected.parts))
        return { status: response.status, headers: response.headers, body: whole.subarray(0, limits.maxBodyBytes).toString("utf8"), truncated: whole.length > limits.maxBodyBytes }
      })
    ).pipe(
      Effect.mapError((error) => (error instanceof CircuitOpenError ? error : failureOf(error))),
      Effect.timeoutFail({ duration: limits.timeout, onTimeout: () => new OutboundFailure({ reason: "timeout", message: `timed out: no complete answer within ${Duration.format(Duration.decode(limits.timeout))}` }) })
    )
    const ended = yield* Clock.currentTimeMillis
    return { ...answer, durationMs: ended - started }
  })

/** For tests: the client as a layer. */
export const outboundClientLayer = (options: OutboundHttpOptions): Layer.Layer<HttpClient.HttpClient> => Layer.scoped(HttpClient.HttpClient, makeOutboundClient(options))
