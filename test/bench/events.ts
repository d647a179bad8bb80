/**
 * Event pipeline throughput and latency, from outbox commit to handled: producers commit events
 * to the outbox, one relay (batch 500) publishes them, workers handle them on the real consumer
 * path.
 *
 * Handled: a consumer runtime (`makeConsumerRuntime`, what a worker process runs) read the
 * delivery and `ConsumerProcessor` committed the bench handler's unit of work: the inbox row and
 * the handler's own write (a row in `bench_handled`), with the production retry schedule. The
 * handled time is taken when the runtime acknowledges the delivery, which it does right after
 * that commit; latency is handled time − the producer's commit time. After the runs the bench
 * checks that `bench_handled` holds exactly one row per event committed.
 *
 * A worker is one consumer runtime in a scope of its own (as the consumer tests build "a worker
 * process"): its own consumer name, on Redis its own connection and transport, the production
 * read options (ConsumerConfig defaults) and one handler, the bench handler, with concurrency 4
 * (a reader fiber and 4 delivery fibers, like ProjectProgressHandler). The 1 or 4 workers run in
 * this one process and share its database (Postgres: one pool of 40, what four worker
 * processes' default pools of 10 add up to; PGlite: its single session), in-process the one
 * transport log there is, and always one JavaScript thread: four workers add concurrency (16
 * units of work in flight instead of 4), not CPU, which four real processes would.
 *
 * The ceiling row measures the same pipeline, same database and transport, with plain transport
 * readers instead (read up to 100, ack; no handler, no inbox), one reader per worker; the handled
 * row's last column is its burst throughput over that ceiling's, measured in the same run.
 *
 * Postgres at TEST_DATABASE_URL / DATABASE_URL (a scratch database), Redis at TEST_REDIS_URL /
 * REDIS_URL (a scratch key prefix); without Postgres the database is PGlite, without Redis only
 * the in-process transport runs. `npm run bench:events` (BENCH_EVENTS=n to change the burst).
 *
 * With Postgres and Redis the run starts with the comparison against BullMQ (EventsVsBullmq.ts);
 * these tables follow with BENCH_EVENTS_DETAIL=1.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { NodeRuntime } from "@effect/platform-node"
import { Context, Deferred, Effect, ExecutionStrategy, Layer, Logger, LogLevel, Redacted, Ref, Scope } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { ConsumerConfig } from "../../src/events/ConsumerConfig.js"
import { ConsumerProcessor } from "../../src/events/ConsumerProcessor.js"
import { makeConsumerRuntime } from "../../src/events/ConsumerRuntime.js"
import type { EventHandler } from "../../src/events/EventHandler.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import { HandlerRegistry, makeRegistry } from "../../src/events/HandlerRegistry.js"
import * as InProcessTransport from "../../src/events/InProcessTransport.js"
import * as Redis from "../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../src/events/RedisStreamsTransport.js"
import * as Relay from "../../src/events/Relay.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"
import { toRepositoryError } from "../../src/repositories/sql/SqlErrors.js"
import { handlerRetry } from "../../src/resilience/RetrySchedules.js"
import { anEnvelope } from "../contract/Fixtures.js"
import { compareWithBullmq } from "./EventsVsBullmq.js"
import { deleteKeys, uniquePrefix } from "../integration/events/RedisSupport.js"
import { makeScratchDatabase, postgresUrl } from "../support/Database.js"

const burstSize = Number(process.env["BENCH_EVENTS"] ?? 5000)
const redisUrl = process.env["TEST_REDIS_URL"] ?? process.env["REDIS_URL"]
const handlerName = "bench-handler"
const ceilingGroup = "bench-ceiling"

type Transport = Context.Tag.Service<EventTransport>
type Kind = "redis" | "in-process"

/** A migrated database with the bench handler's table: a scratch one on the Postgres server, else an in-memory PGlite. */
const database: Effect.Effect<Context.Context<SqlClient.SqlClient | PgClient.PgClient> | Context.Context<SqlClient.SqlClient>, unknown, Scope.Scope> =
  Effect.gen(function* () {
    const setUp = (client: SqlClient.SqlClient) =>
      runMigrations.pipe(
        Effect.zipRight(client`CREATE TABLE bench_handled (event_id text PRIMARY KEY, worker integer NOT NULL)`),
        Effect.provideService(SqlClient.SqlClient, client)
      )
    if (postgresUrl !== undefined) {
      const client = yield* PgClient.make({ url: yield* makeScratchDatabase, maxConnections: 40, ...NameTransforms })
      yield* setUp(client)
      return Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client))
    }
    const client = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
    yield* setUp(client)
    return Context.make(SqlClient.SqlClient, client)
  }).pipe(Effect.provide(Reactivity.layer))

/**
 * The relay's transport, and how a worker gets its own: on Redis a connection and transport of
 * its own on the same keys, as another process would have; in process the one log.
 */
const transportsOf = (kind: Kind) =>
  Effect.gen(function* () {
    if (kind === "in-process") {
      const shared = yield* InProcessTransport.make()
      return { relay: shared, forWorker: Effect.succeed<Transport>(shared) }
    }
    const options = { url: Redacted.make(redisUrl ?? "redis://127.0.0.1:6379"), prefix: uniquePrefix("bench") }
    const connect = Effect.flatMap(Redis.make(options), (redis) => RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis)))
    const redis = yield* Redis.make(options)
    yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(redis.commands, options.prefix)))
    return { relay: yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis)), forWorker: connect }
  })

/** The events of one run and when each was finished (read, or handled). */
interface Tally {
  readonly ids: ReadonlySet<string>
  readonly at: Map<string, number>
  readonly done: Deferred.Deferred<void>
}
const makeTally = (events: ReadonlyArray<OutboxEnvelope>) =>
  Effect.map(Deferred.make<void>(), (done): Tally => ({ ids: new Set(events.map((e) => e.id)), at: new Map(), done }))

/** Notes these events finished now, if they belong to the current run; completes the run when all have. */
const finish = (current: Ref.Ref<Tally>, ids: ReadonlyArray<string>) =>
  Effect.flatMap(Ref.get(current), (tally) => {
    const now = performance.now()
    for (const id of ids) if (tally.ids.has(id) && !tally.at.has(id)) tally.at.set(id, now)
    return tally.at.size === tally.ids.size ? Deferred.succeed(tally.done, undefined) : Effect.void
  })

/** The ceiling's consumer: reads and acks, nothing else. */
const reader = (transport: Transport, n: number, current: Ref.Ref<Tally>) =>
  Effect.forever(
    Effect.gen(function* () {
      const batch = yield* transport.read({ group: ceilingGroup, consumer: `reader-${n}`, count: 100, blockMs: 100, claimIdleMs: 30_000 })
      yield* finish(current, batch.map((d) => d.envelope.id))
      yield* transport.ack(ceilingGroup, batch)
    })
  )

/** The runtime acks a delivery right after its unit of work committed: that ack is when it was handled. */
const observed = (transport: Transport, current: Ref.Ref<Tally>): Transport =>
  EventTransport.of({
    ...transport,
    ack: (group, deliveries) => finish(current, deliveries.map((d) => d.envelope.id)).pipe(Effect.zipRight(transport.ack(group, deliveries)))
  })

/** Its effect is a row, written in the unit of work the processor opened for it with the inbox row. */
const benchHandler = (sql: SqlClient.SqlClient, worker: number): EventHandler => ({
  name: handlerName,
  types: "*",
  concurrency: 4,
  retry: handlerRetry,
  handle: (event) =>
    sql`INSERT INTO bench_handled (event_id, worker) VALUES (${event.id}, ${worker})`.pipe(Effect.mapError(toRepositoryError), Effect.asVoid)
})

/** A worker process: its transport and its runtime in a scope of its own, closed (drained) with the caller's. */
const startWorker = (n: number, transport: Effect.Effect<Transport, never, Scope.Scope>, current: Ref.Ref<Tally>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const registry = yield* makeRegistry([benchHandler(yield* SqlClient.SqlClient, n)])
    const options = yield* ConsumerConfig
    const own = yield* Scope.extend(transport, scope)
    yield* makeConsumerRuntime(options).pipe(
      Effect.provideService(HandlerRegistry, registry),
      Effect.provideService(EventTransport, observed(own, current)),
      Scope.extend(scope)
    )
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/**
 * Commits `events` (`perTransaction` per transaction, `concurrency` transactions at once, each
 * started `paceMs` after the previous when paced) and waits until the consumers finished them
 * all. Answers the events per second from the first commit's start to the last event finished,
 * and each event's latency from its transaction's commit to its finish.
 */
const run = (current: Ref.Ref<Tally>, events: ReadonlyArray<OutboxEnvelope>, perTransaction: number, concurrency: number, paceMs = 0) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* OutboxRepository
    const tally = yield* makeTally(events)
    yield* Ref.set(current, tally)
    const committed = new Map<string, number>()
    const chunks = Array.from({ length: Math.ceil(events.length / perTransaction) }, (_, i) => events.slice(i * perTransaction, (i + 1) * perTransaction))
    const started = performance.now()
    yield* Effect.forEach(chunks, (chunk, i) =>
      Effect.gen(function* () {
        if (paceMs > 0) yield* Effect.sleep(Math.max(0, started + i * paceMs - performance.now()))
        yield* sql.withTransaction(outbox.append(chunk))
        const at = performance.now()
        for (const e of chunk) committed.set(e.id, at)
      }), { concurrency, discard: true })
    yield* Deferred.await(tally.done).pipe(Effect.timeoutFail({ duration: "120 seconds", onTimeout: () => new Error("events were not all finished in 120 s") }))
    const last = events.reduce((max, e) => Math.max(max, tally.at.get(e.id) ?? NaN), -Infinity)
    // A consumer can finish an event before the producer's commit call has returned: count that as 0.
    const latencies = events.map((e) => Math.max(0, (tally.at.get(e.id) ?? NaN) - (committed.get(e.id) ?? NaN))).sort((a, b) => a - b)
    return { perSecond: events.length / ((last - started) / 1000), latencies }
  })

const events = (n: number) => Array.from({ length: n }, () => anEnvelope())
const warmUp = 200
const pacedSize = 300

/** Consumers started by `start` for the whole phase: a warm-up, the burst (throughput) and the paced run (200 tx/s, latency). */
const phase = <E, R>(start: (current: Ref.Ref<Tally>) => Effect.Effect<void, E, R>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const current = yield* Ref.make(yield* makeTally([]))
      yield* start(current)
      yield* run(current, events(warmUp), 10, 4)
      const burst = yield* run(current, events(burstSize), 20, 8)
      const paced = yield* run(current, events(pacedSize), 1, 4, 5)
      return { burst, paced }
    })
  )

const columns = [["transport", 11], ["workers", 8], ["consumers", 22], ["burst ev/s", 11], ["burst p50", 11], ["burst p99", 11], ["paced p50", 11], ["paced p99", 11], ["handled/ceiling", 16], ["rows by worker", 0]] as const
const row = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(columns[i]?.[1] ?? 0)).join(" ").trimEnd()
const ms = (x: number) => `${x.toFixed(1)} ms`
const figures = ({ burst, paced }: Effect.Effect.Success<ReturnType<typeof phase>>) => [
  Math.round(burst.perSecond).toString(),
  ms(percentile(burst.latencies, 0.5)),
  ms(percentile(burst.latencies, 0.99)),
  ms(percentile(paced.latencies, 0.5)),
  ms(percentile(paced.latencies, 0.99))
]

const scenario = (kind: Kind, workers: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const db = yield* database
      const env = yield* Layer.build(ConsumerProcessor.Default.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provide(Layer.succeedContext(db))))
      const ctx = Context.merge(db, env)
      const transports = yield* transportsOf(kind)
      yield* Relay.make({ batchSize: 500 }).pipe(Effect.provide(db), Effect.provideService(EventTransport, transports.relay))
      const indices = Array.from({ length: workers }, (_, n) => n)

      const ceiling = yield* phase((current) =>
        Effect.gen(function* () {
          yield* transports.relay.ensureGroup(ceilingGroup)
          yield* Effect.forEach(indices, (n) => Effect.flatMap(transports.forWorker, (t) => Effect.forkScoped(reader(t, n, current))), { discard: true })
        })).pipe(Effect.provide(ctx))
      // Everything is acked, so the trim empties the streams and the handler's group, created
      // now, starts after the ceiling's events instead of handling them first.
      yield* transports.relay.trim
      yield* transports.relay.ensureGroup(handlerName)
      const lag = yield* transports.relay.lag(handlerName)
      if (lag.backlog + lag.pending > 0) return yield* Effect.dieMessage(`the handler's group starts with ${lag.backlog} entries to read`)
      const handled = yield* phase((current) => Effect.forEach(indices, (n) => startWorker(n, transports.forWorker, current), { discard: true })).pipe(
        Effect.provide(ctx)
      )

      const sql = Context.get(db, SqlClient.SqlClient)
      const rows = yield* sql<{ readonly worker: number; readonly n: number }>`SELECT worker, count(*)::int AS n FROM bench_handled GROUP BY worker ORDER BY worker`
      const total = rows.reduce((sum, r) => sum + r.n, 0)
      if (total !== warmUp + burstSize + pacedSize) return yield* Effect.dieMessage(`bench_handled has ${total} rows, expected ${warmUp + burstSize + pacedSize}`)

      const ratio = handled.burst.perSecond / ceiling.burst.perSecond
      console.log(row([kind, String(workers), "ceiling (read + ack)", ...figures(ceiling)]))
      console.log(row([kind, String(workers), "handled (runtime)", ...figures(handled), `${(100 * ratio).toFixed(0)} %`, rows.map((r) => r.n).join("/")]))
    })
  )

/** The per-transport tables of the earlier bench (in-process and Redis, 1 and 4 workers, the read+ack ceiling). */
const detail = Effect.gen(function* () {
  console.log(`events bench: database ${postgresUrl === undefined ? "PGlite (in memory, relay polls every 250 ms)" : "Postgres (LISTEN/NOTIFY)"}; 1 relay (batch 500);`)
  console.log(`burst ${burstSize} events (20 per tx, 8 tx at once); paced ${pacedSize} events at 200 tx/s; a worker is one consumer runtime (handler concurrency 4)\n`)
  console.log(row(columns.map(([name]) => name)))
  for (const workers of [1, 4]) yield* scenario("in-process", workers)
  if (redisUrl === undefined) console.log("redis: skipped (set REDIS_URL)")
  else for (const workers of [1, 4]) yield* scenario("redis", workers)
})

/**
 * The comparison with BullMQ (EventsVsBullmq.ts) needs Postgres and Redis; BENCH_EVENTS_DETAIL=1
 * adds the earlier per-transport tables.
 */
const main = Effect.gen(function* () {
  if (postgresUrl === undefined || redisUrl === undefined) console.log("events vs BullMQ: skipped (set DATABASE_URL and REDIS_URL)\n")
  else yield* compareWithBullmq(postgresUrl, redisUrl)
  if (process.env["BENCH_EVENTS_DETAIL"] === "1" || postgresUrl === undefined || redisUrl === undefined) {
    console.log("")
    yield* detail
  }
}).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

NodeRuntime.runMain(main)
