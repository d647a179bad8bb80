/**
 * The request deadline: an API request whose handler has not produced its response within
 * `REQUEST_TIMEOUT` (default 30 s) is answered `503 ServiceUnavailable` (the error shape, its
 * correlation id and `Retry-After` come from the outer middleware) and its handler is
 * interrupted, so a dependency that stopped answering (a partitioned database) cannot hold
 * requests, fibers or memory for longer than that.
 *
 * The deadline covers the handler, which includes reading the body; a streamed response (the
 * live event stream, the dashboard's) is produced at once and its body is not cut. A write
 * interrupted at its deadline rolls back unless its commit had already reached the database, in
 * which case the client sees a 503 for a change that happened: the same ambiguity as a dropped
 * connection, which a client resolves by reading before it retries.
 *
 * Inside the database's own bounds: `DATABASE_STATEMENT_TIMEOUT` (15 s) and the pool wait
 * (`DATABASE_CONNECT_TIMEOUT`, 5 s) normally answer first, with a transient error.
 */
import { type HttpApp, HttpServerResponse } from "@effect/platform"
import { Config, Duration, Effect, Metric, Option } from "effect"

export const RequestTimeout = Config.duration("REQUEST_TIMEOUT").pipe(
  Config.validate({ message: "REQUEST_TIMEOUT must be longer than zero", validation: (d) => Duration.greaterThan(d, Duration.zero) }),
  Config.withDefault(Duration.seconds(30))
)

export const requestTimeouts = Metric.counter("flowboard_http_request_timeouts_total", {
  description: "API requests answered 503 because their handler passed REQUEST_TIMEOUT",
  incremental: true
})

export const withDeadline =
  (timeout: Duration.DurationInput) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
    const limit = Duration.format(Duration.decode(timeout))
    const late = Metric.increment(requestTimeouts).pipe(
      Effect.zipRight(Effect.logWarning(`request passed REQUEST_TIMEOUT (${limit}); answered 503 and its handler interrupted`)),
      Effect.as(HttpServerResponse.unsafeJson({ _tag: "ServiceUnavailable", message: `no answer within ${limit}; try again later` }, { status: 503 }))
    )
    // `disconnect`: the answer does not wait for the interrupted handler to wind down. Its
    // finalizers may need the very dependency that stopped answering (a ROLLBACK on a connection
    // to a partitioned database), and they run on in the background, bounded by the pool.
    // `interruptible`: middleware runs in the server's uninterruptible region (handlers restore
    // interruption themselves), where the wait for the disconnected handler could not be cut.
    return Effect.flatMap(Effect.timeoutOption(Effect.interruptible(Effect.disconnect(app)), timeout), Option.match({ onSome: Effect.succeed, onNone: () => late }))
  }
