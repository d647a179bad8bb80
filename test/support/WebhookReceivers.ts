/**
 * Real HTTP endpoints that receive Flowboard's webhook deliveries in tests: each records what
 * arrived, verifies it with the official `standardwebhooks` library (not with Flowboard's own
 * signing code, so a signing bug cannot hide behind a matching verifier), and answers as its
 * `Behaviour` says — success, failures, rate limits, redirects, or never.
 */
import { Effect, type Scope } from "effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import { Webhook } from "standardwebhooks"

export interface Received {
  readonly id: string
  readonly timestamp: string
  readonly signature: string
  readonly body: string
  /** The body's `type`, or null when the body is not a JSON object with a string `type`. */
  readonly type: string | null
  /** Whether any of the receiver's secrets (at arrival time) verified the request. */
  readonly verified: boolean
  /** `Date.now()` when the body had arrived whole. */
  readonly at: number
  readonly headers: Readonly<Record<string, string>>
}

export interface Reply {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
}

/** How a receiver answers; `index` is the 0-based count of requests it got before this one. "hang": never answer. */
export type Behaviour = (request: Received, index: number) => Reply | "hang"

export const ok: Behaviour = () => ({ status: 204 })

export const always = (status: number): Behaviour => () => ({ status })

export const gone: Behaviour = always(410)

export const failTimes = (n: number, status = 500): Behaviour => (_, index) => ({ status: index < n ? status : 204 })

export const rateLimited = (retryAfterSeconds: number, times: number): Behaviour => (_, index) =>
  index < times ? { status: 429, headers: { "retry-after": String(retryAfterSeconds) } } : { status: 204 }

export const hangFirst = (n: number): Behaviour => (_, index) => (index < n ? "hang" : { status: 204 })

export const redirectTo = (url: string): Behaviour => () => ({ status: 302, headers: { location: url } })

export interface Receiver {
  /** `http://127.0.0.1:<port><path>`. */
  readonly url: string
  readonly received: ReadonlyArray<Received>
  /** The `webhook-id`s of the requests that verified, in arrival order. */
  readonly verifiedIds: () => ReadonlyArray<string>
  /** Resolves once `predicate` holds (checked now and on each arrival); rejects after `timeoutMs`, listing what arrived. */
  readonly waitFor: (predicate: (all: ReadonlyArray<Received>) => boolean, timeoutMs: number) => Promise<void>
  /** Secrets for requests arriving from now on. */
  readonly setSecrets: (secrets: ReadonlyArray<string>) => void
  /** Stops listening and destroys every connection, hanging ones included. */
  readonly close: () => Promise<void>
}

export interface ReceiverOptions {
  readonly secrets?: ReadonlyArray<string>
  readonly behaviour?: Behaviour
  /** Default `/hook`. Requests to any other path get a 404 and are not recorded. */
  readonly path?: string
}

/** The reference signature (`v1,<base64>`) for a delivery, computed by the `standardwebhooks` library. */
export const sign = (secret: string, id: string, timestamp: number, body: string): string =>
  new Webhook(secret).sign(id, new Date(timestamp * 1000), body)

const flatten = (headers: IncomingHttpHeaders): Record<string, string> => {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return flat
}

const typeOf = (body: string): string | null => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && "type" in parsed && typeof parsed.type === "string" ? parsed.type : null
  } catch {
    return null
  }
}

/** A malformed secret (empty, not base64) verifies nothing rather than failing the receiver. */
const verifiesWith = (secret: string, body: Uint8Array, headers: Record<string, string>): boolean => {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false })
    return true
  } catch {
    return false
  }
}

/** Offsets are from the receiver's start, so arrivals before the wait read as such. */
const describeArrivals = (all: ReadonlyArray<Received>, since: number): string =>
  all.length === 0
    ? "nothing arrived"
    : `${all.length} arrived:\n` +
      all.map((r, i) => `  #${i} +${r.at - since}ms id=${r.id || "(none)"} type=${r.type ?? "(none)"} verified=${r.verified}`).join("\n")

export const startReceiver = (options: ReceiverOptions = {}): Promise<Receiver> => {
  const path = options.path ?? "/hook"
  const behaviour = options.behaviour ?? ok
  const started = Date.now()
  const received: Array<Received> = []
  const listeners = new Set<() => void>()
  let secrets: ReadonlyArray<string> = options.secrets ?? []
  let closed = false

  const server = createServer((request, response) => {
    if ((request.url ?? "").split("?")[0] !== path) {
      request.resume()
      response.writeHead(404).end()
      return
    }
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const bytes = Buffer.concat(chunks)
      const headers = flatten(request.headers)
      const body = bytes.toString("utf8")
      const arrival: Received = {
        id: headers["webhook-id"] ?? "",
        timestamp: headers["webhook-timestamp"] ?? "",
        signature: headers["webhook-signature"] ?? "",
        body,
        type: typeOf(body),
        verified: secrets.some((secret) => verifiesWith(secret, bytes, headers)),
        at: Date.now(),
        headers
      }
      const index = received.length
      received.push(arrival)
      for (const listener of [...listeners]) listener()
      let reply: Reply | "hang"
      try {
        reply = behaviour(arrival, index)
      } catch (error) {
        // A broken behaviour is the test's bug: say so in the answer rather than crash the worker.
        reply = { status: 500, body: `behaviour threw: ${String(error)}` }
      }
      if (reply === "hang") return
      response.writeHead(reply.status, reply.headers).end(reply.body)
    })
  })

  const waitFor = (predicate: (all: ReadonlyArray<Received>) => boolean, timeoutMs: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (predicate(received)) return resolve()
      const settle = (outcome: () => void) => {
        clearTimeout(timer)
        listeners.delete(check)
        listeners.delete(onClose)
        outcome()
      }
      const check = () => {
        if (predicate(received)) settle(resolve)
      }
      const onClose = () => {
        if (closed) settle(() => reject(new Error(`waitFor: receiver ${path} closed first; ${describeArrivals(received, started)}`)))
      }
      const timer = setTimeout(
        () => settle(() => reject(new Error(`waitFor: not satisfied within ${timeoutMs} ms; ${describeArrivals(received, started)}`))),
        timeoutMs
      )
      listeners.add(check)
      listeners.add(onClose)
    })

  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (closed) return resolve()
      closed = true
      for (const listener of [...listeners]) listener()
      server.close(() => resolve())
      // Idle keep-alive connections and hanging requests alike; without this, close waits for them.
      server.closeAllConnections()
    })

  return new Promise<Receiver>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject)
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error(`receiver: unexpected address ${address}`))
      resolve({
        url: `http://127.0.0.1:${address.port}${path}`,
        received,
        verifiedIds: () => received.filter((r) => r.verified).map((r) => r.id),
        waitFor,
        setSecrets: (next) => {
          secrets = [...next]
        },
        close
      })
    })
  })
}

/** A receiver for the test's scope: started on acquisition, closed (hanging connections too) on release. */
export const receiverScoped = (options: ReceiverOptions = {}): Effect.Effect<Receiver, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startReceiver(options)),
    (receiver) => Effect.promise(() => receiver.close())
  )
