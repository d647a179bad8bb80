/**
 * What one attempt's outcome means for its delivery, as pure functions: the worker applies them.
 *
 * - 2xx: delivered.
 * - 410 Gone: the receiver says the subscription is over; it is disabled at once, and what
 *   waits stays queued for an owner who re-enables it.
 * - 429 and 503 with `Retry-After` (seconds or an HTTP date): the next attempt waits that long,
 *   bounded by the schedule's cap, instead of the schedule's delay.
 * - anything else (3xx too: redirects are not followed), a timeout, a refused address or a
 *   connection failure: retried on the schedule until it gives up.
 */
import { Duration, Option } from "effect"

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx" | "none"

export const statusClass = (status: number | null): StatusClass =>
  status === null ? "none" : status >= 200 && status < 300 ? "2xx" : status >= 300 && status < 400 ? "3xx" : status >= 400 && status < 500 ? "4xx" : status >= 500 ? "5xx" : "none"

/** A `Retry-After` value as a wait from `nowMs`: delay-seconds or an HTTP date; none when unreadable or past. */
export const retryAfterOf = (value: string | undefined, nowMs: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const text = value.trim()
  if (/^\d{1,9}$/.test(text)) return Option.some(Duration.seconds(Number(text)))
  const at = Date.parse(text)
  return Number.isNaN(at) || at <= nowMs ? Option.none() : Option.some(Duration.millis(at - nowMs))
}

export type Verdict =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Gone"; readonly error: string }
  | { readonly _tag: "Failed"; readonly error: string; readonly retryAfter: Option.Option<Duration.Duration> }

export const judgeStatus = (status: number, retryAfter: string | undefined, nowMs: number): Verdict => {
  if (status >= 200 && status < 300) return { _tag: "Delivered" }
  if (status === 410) return { _tag: "Gone", error: "the receiver answered 410 Gone" }
  const waitAsked = status === 429 || status === 503 ? retryAfterOf(retryAfter, nowMs) : Option.none()
  const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : ""
  return { _tag: "Failed", error: `the receiver answered ${status}${redirect}`, retryAfter: waitAsked }
}
