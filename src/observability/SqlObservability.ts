/**
 * Timing of every SQL statement, on Postgres and PGlite alike, without touching the clients.
 *
 * `@effect/sql` runs each statement inside a `sql.execute` span; its statement transformer
 * sees a statement before it runs but never after, so it cannot time one. The span can: this
 * module wraps whatever tracer is installed (Effect's own, or OpenTelemetry's) so that a
 * `sql.execute` span, when it ends, records
 * - `db_client_query_duration_seconds{statement}`, and `db_client_query_errors_total`;
 * - the time on the request's stats (`Server-Timing: sql;dur=…`), found through the span's
 *   ancestors (the request's server span);
 * - above `SLOW_QUERY_MS`, `db_client_slow_queries_total` and a warning with the statement
 *   text — placeholders (`$1`), never parameter values.
 *
 * The statement name is the name of the span around it (`SqlTaskRepository.insert`): bounded,
 * and it says where the query comes from. Install this layer *above* the tracing layer, so the
 * tracer it wraps is the one that exports.
 */
import { Config, Effect, Exit, Layer, MetricLabel, Option, Queue, Tracer } from "effect"
import { dbQueryDuration, dbQueryErrors, dbSlowQueries } from "./Metrics.js"
import { redactString } from "./Redaction.js"
import { type RequestStats, statsOfAncestor } from "./RequestStats.js"

export const SlowQueryConfig = Config.integer("SLOW_QUERY_MS").pipe(Config.withDefault(200))

export interface SlowQuery {
  readonly statement: string
  readonly sql: string
  readonly durationMs: number
  readonly correlationId: string | null
  readonly traceId: string
  readonly spanId: string
}

export interface SqlTimingOptions {
  readonly slowQueryMs: number
  readonly onSlowQuery: (query: SlowQuery) => void
}

const SQL_SPAN = "sql.execute"
const QUERY_TEXT = "db.query.text"
const VERBS = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "ALTER", "DROP", "LOCK", "LISTEN", "NOTIFY", "COPY", "TRUNCATE", "EXPLAIN"])

/** Spans that say nothing about where a statement comes from: look past them. */
const ANONYMOUS = new Set(["sql.transaction"])

/** The name of the nearest meaningful enclosing span, else the statement's verb: a bounded label either way. */
export const statementName = (parent: Option.Option<Tracer.AnySpan>, sql: string): string => {
  let current = parent
  while (Option.isSome(current) && current.value._tag === "Span") {
    if (!ANONYMOUS.has(current.value.name)) return current.value.name
    current = current.value.parent
  }
  const verb = (/^\s*([A-Za-z]+)/.exec(sql)?.[1] ?? "").toUpperCase()
  return VERBS.has(verb) ? verb : "other"
}

/** Whitespace collapsed, long statements cut, anything that looks like a secret masked. */
export const normaliseSql = (sql: string): string => {
  const flat = sql.replace(/\s+/g, " ").trim()
  return redactString(flat.length > 2000 ? `${flat.slice(0, 2000)}…` : flat)
}

class ObservedSqlSpan implements Tracer.Span {
  readonly _tag = "Span"
  private sql = ""
  private readonly stats: RequestStats | undefined

  constructor(
    private readonly inner: Tracer.Span,
    private readonly options: SqlTimingOptions
  ) {
    this.stats = statsOfAncestor(inner.parent)
  }

  get name() { return this.inner.name }
  get spanId() { return this.inner.spanId }
  get traceId() { return this.inner.traceId }
  get parent() { return this.inner.parent }
  get context() { return this.inner.context }
  get status() { return this.inner.status }
  get attributes() { return this.inner.attributes }
  get links() { return this.inner.links }
  get sampled() { return this.inner.sampled }
  get kind() { return this.inner.kind }

  attribute(key: string, value: unknown): void {
    if (key === QUERY_TEXT && typeof value === "string") this.sql = value
    this.inner.attribute(key, value)
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.inner.event(name, startTime, attributes)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.inner.addLinks(links)
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const startTime = this.inner.status.startTime
    this.inner.end(endTime, exit)
    if (startTime === 0n && endTime === 0n) return // tracer timing is switched off
    const seconds = Number(endTime - startTime) / 1e9
    const statement = statementName(this.inner.parent, this.sql)
    const tags = [MetricLabel.make("statement", statement)]
    dbQueryDuration.unsafeUpdate(seconds, tags)
    if (Exit.isFailure(exit)) dbQueryErrors.unsafeUpdate(1, tags)
    if (this.stats !== undefined) {
      this.stats.sqlMillis += seconds * 1000
      this.stats.sqlStatements += 1
    }
    if (seconds * 1000 > this.options.slowQueryMs) {
      dbSlowQueries.unsafeUpdate(1, tags)
      this.options.onSlowQuery({
        statement,
        sql: normaliseSql(this.sql),
        durationMs: Math.round(seconds * 1e6) / 1000,
        correlationId: this.stats?.correlationId ?? null,
        traceId: this.inner.traceId,
        spanId: this.inner.spanId
      })
    }
  }
}

const instrumented = new WeakSet<Tracer.Tracer>()

/** `inner`, with its `sql.execute` spans observed; other spans are `inner`'s own, untouched. */
export const instrumentTracer = (inner: Tracer.Tracer, options: SqlTimingOptions): Tracer.Tracer => {
  if (instrumented.has(inner)) return inner
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, spanOptions) => {
      const span = inner.span(name, parent, context, links, startTime, kind, spanOptions)
      return name === SQL_SPAN ? new ObservedSqlSpan(span, options) : span
    },
    // The fiber loop calls this on every run of every fiber: inner's own, not a wrapper around it.
    context: inner.context.bind(inner)
  })
  instrumented.add(tracer)
  return tracer
}

const logSlowQuery = (query: SlowQuery) =>
  Effect.logWarning("slow query").pipe(
    Effect.annotateLogs({
      statement: query.statement,
      sql: query.sql,
      durationMs: query.durationMs,
      traceId: query.traceId,
      spanId: query.spanId,
      ...(query.correlationId === null ? {} : { correlationId: query.correlationId })
    })
  )

/**
 * Wraps the current tracer. Slow queries are handed from the span's end (plain code) to a
 * fiber in this layer's scope through a sliding queue: a storm of them drops the oldest
 * warnings, never blocks a query. The counter still counts every one.
 */
export const SqlObservabilityLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const slowQueryMs = yield* SlowQueryConfig
    const queue = yield* Queue.sliding<SlowQuery>(1024)
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(queue), logSlowQuery)))
    const inner = yield* Effect.tracer
    return Layer.setTracer(instrumentTracer(inner, { slowQueryMs, onSlowQuery: (query) => void queue.unsafeOffer(query) }))
  })
)
