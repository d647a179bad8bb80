import { type HttpApp, HttpServerError, HttpServerRequest } from "@effect/platform"
import { Clock, Effect, Exit } from "effect"
import { isOperationalPath } from "./OperationalRoutes.js"

/** Seconds of history kept: enough for the dashboard's charts after a reload. */
export const HISTORY_SECONDS = 300
/** Durations kept per second for the percentiles; beyond it, a uniform sample of them. */
const SAMPLES_PER_SECOND = 500

interface Bucket {
  second: number
  count: number
  errors: number
  seen: number
  durations: Array<number>
}

export interface WindowStats {
  /** Requests in the window. */
  readonly requests: number
  readonly ratePerSecond: number
  /** Share of responses with a 5xx status, 0..1 (0 without requests). */
  readonly errorRate: number
  /** `null` without requests. */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
}

/** One point of a chart: what happened during one second (Unix seconds). */
export interface SecondStats {
  readonly second: number
  readonly requests: number
  readonly errors: number
  readonly p50Ms: number | null
  readonly p99Ms: number | null
}

const quantile = (sorted: ReadonlyArray<number>, q: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!

/**
 * Recent HTTP traffic in one-second buckets: rates, error share and latency percentiles over
 * the last minute, computed in process for `/health` and the dashboard (Prometheus gets the
 * cumulative histogram from `Metrics`). The clock is Effect's, so tests drive it.
 */
export class RequestWindow extends Effect.Service<RequestWindow>()("flowboard/RequestWindow", {
  sync: () => {
    const buckets: Array<Bucket> = Array.from({ length: HISTORY_SECONDS }, () => ({ second: -1, count: 0, errors: 0, seen: 0, durations: [] }))
    let total = 0
    const slot = (second: number) => buckets[((second % HISTORY_SECONDS) + HISTORY_SECONDS) % HISTORY_SECONDS]!
    const bucketAt = (second: number): Bucket => {
      const bucket = slot(second)
      if (bucket.second !== second) Object.assign(bucket, { second, count: 0, errors: 0, seen: 0, durations: [] })
      return bucket
    }
    const inWindow = (now: number, seconds: number) => {
      const current = Math.floor(now / 1000)
      return buckets.filter((b) => b.second > current - seconds && b.second <= current)
    }

    const record = (status: number, durationMs: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const bucket = bucketAt(Math.floor(now / 1000))
        total++
        bucket.count++
        if (status >= 500) bucket.errors++
        bucket.seen++
        if (bucket.durations.length < SAMPLES_PER_SECOND) bucket.durations.push(durationMs)
        else {
          const slot = Math.floor(Math.random() * bucket.seen)
          if (slot < SAMPLES_PER_SECOND) bucket.durations[slot] = durationMs
        }
      })

    /** Over the last `seconds` (60 by default), the current second included. */
    const stats = (seconds = 60): Effect.Effect<WindowStats> =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const recent = inWindow(now, seconds)
        const requests = recent.reduce((n, b) => n + b.count, 0)
        const errors = recent.reduce((n, b) => n + b.errors, 0)
        const sorted = recent.flatMap((b) => b.durations).sort((a, b) => a - b)
        return {
          requests,
          ratePerSecond: requests / seconds,
          errorRate: requests === 0 ? 0 : errors / requests,
          p50Ms: quantile(sorted, 0.5),
          p99Ms: quantile(sorted, 0.99)
        }
      })

    /** One point per completed second, oldest first, the last `seconds` of them (at most `HISTORY_SECONDS`). */
    const history = (seconds: number): Effect.Effect<ReadonlyArray<SecondStats>> =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const current = Math.floor(now / 1000)
        return Array.from({ length: Math.min(seconds, HISTORY_SECONDS - 1) }, (_, i): SecondStats => {
          const second = current - Math.min(seconds, HISTORY_SECONDS - 1) + i
          const bucket = slot(second)
          if (bucket.second !== second) return { second, requests: 0, errors: 0, p50Ms: null, p99Ms: null }
          const sorted = [...bucket.durations].sort((a, b) => a - b)
          return { second, requests: bucket.count, errors: bucket.errors, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) }
        })
      })

    /** Requests served since start (monotonic). */
    const totalRequests = Effect.sync(() => total)

    return { record, stats, history, totalRequests } as const
  }
}) {}

/**
 * Feeds the window from the request path: every request but probes, scrapes and the dashboard
 * (operational traffic would mask what users see). A failure that escapes the app counts with
 * the status it will be answered with.
 */
export const observeRequests = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | RequestWindow> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (isOperationalPath(request.url)) return yield* app
    const window = yield* RequestWindow
    const start = yield* Clock.currentTimeNanos
    const exit = yield* Effect.exit(app)
    const end = yield* Clock.currentTimeNanos
    yield* window.record(Exit.isSuccess(exit) ? exit.value.status : HttpServerError.exitResponse(exit).status, Number(end - start) / 1e6)
    return yield* exit
  })
