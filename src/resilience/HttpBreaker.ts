/**
 * Circuit breakers for outbound HTTP, one per endpoint (the request URL's origin): a receiver
 * that is down does not cost a connection timeout per call, and one dead endpoint does not trip
 * calls to the others. Webhook deliveries (the webhooks issue) go through it.
 *
 * What counts against an endpoint: a transport failure (refused, reset, timed out) and an answer
 * of 5xx or 429, which say the receiver cannot take calls now; any other answer, 4xx included,
 * means it is up. Breakers are made on first use and kept for `capacity` endpoints (the least
 * recently used is dropped beyond that), named `http:<origin>`; they are not listed in `/health`
 * one by one (unbounded labels): `snapshot` counts them by state.
 */
import { HttpClient, HttpClientError, type HttpClientResponse } from "@effect/platform"
import { Effect } from "effect"
import { type CircuitBreaker, type CircuitBreakerOptions, type CircuitOpenError, type CircuitState, make } from "./CircuitBreaker.js"

/** A response the breaker counts as the endpoint failing, carried as a failure through `protect` and back. */
class Unwell {
  constructor(readonly response: HttpClientResponse.HttpClientResponse) {}
}

const isUnwell = (response: HttpClientResponse.HttpClientResponse) => response.status >= 500 || response.status === 429

const originOf = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

export interface HttpBreakers {
  /** The client with every request through its endpoint's breaker; an open one fails with `CircuitOpenError`. */
  readonly wrap: <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | CircuitOpenError, R>
  readonly snapshot: Effect.Effect<Readonly<Record<CircuitState, number>>>
  /** The state of the breaker of `url`'s endpoint: closed when it has none (never called, or dropped). */
  readonly stateOf: (url: string) => Effect.Effect<CircuitState>
}

export const makeHttpBreakers = (options: Omit<CircuitBreakerOptions, "name" | "isFailure" | "metrics"> & { readonly capacity?: number } = {}) =>
  Effect.sync((): HttpBreakers => {
    const capacity = options.capacity ?? 1000
    const breakers = new Map<string, CircuitBreaker>()
    const breakerFor = (origin: string) =>
      Effect.suspend(() => {
        const known = breakers.get(origin)
        if (known !== undefined) {
          breakers.delete(origin)
          breakers.set(origin, known)
          return Effect.succeed(known)
        }
        return Effect.map(
          make({ ...options, name: `http:${origin}`, metrics: false, isFailure: (error) => error instanceof Unwell || error instanceof HttpClientError.RequestError }),
          (made) => {
            breakers.set(origin, made)
            if (breakers.size > capacity) breakers.delete(breakers.keys().next().value ?? origin)
            return made
          }
        )
      })
    return {
      wrap: (client) =>
        HttpClient.transform(client, (effect, request) =>
          Effect.flatMap(breakerFor(originOf(request.url)), (breaker) =>
            breaker.protect(Effect.flatMap(effect, (response) => (isUnwell(response) ? Effect.fail(new Unwell(response)) : Effect.succeed(response)))).pipe(
              Effect.catchIf((error): error is Unwell => error instanceof Unwell, (unwell) => Effect.succeed(unwell.response))
            ))),
      snapshot: Effect.map(Effect.forEach(breakers.values(), (b) => b.state), (states) => {
        const counts: Record<CircuitState, number> = { closed: 0, "half-open": 0, open: 0 }
        for (const state of states) counts[state] += 1
        return counts
      }),
      stateOf: (url) => Effect.suspend(() => breakers.get(originOf(url))?.state ?? Effect.succeed("closed" as const))
    }
  })
