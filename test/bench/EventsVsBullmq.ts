/**
 * Flowboard's event pipeline against BullMQ, in one run, on the same Postgres and Redis servers.
 *
 * - BullMQ no-op: `queue.add` one job at a time → a Worker whose processor does nothing.
 * - BullMQ + pg: the same, the processor inserting one row into Postgres (a `pg` pool).
 * - Flowboard: a producer commits each event to the outbox (one INSERT, its own transaction) → the
 *   relay (LISTEN/NOTIFY, batch 500) → Redis Streams → the real consumer runtime
 *   (`makeConsumerRuntime`, `ConsumerProcessor`, WORKER_BATCH_SIZE) whose handler writes one row
 *   per event (in its batch form: one insert per batch) with the inbox rows, one commit per batch.
 *
 * Each system runs twice: at saturation (BENCH_PRODUCERS producers issuing as fast as they can for
 * BENCH_EVENTS_SECONDS, events/s = events ÷ time from the first call to the last event handled),
 * and at a fixed offered rate (BENCH_EVENTS_RATE per second for BENCH_EVENTS_SECONDS; latency of
 * each event from the start of its producer's call, `add` or the commit, to handled: BullMQ's
 * `completed` event, Flowboard's ack right after its batch committed). Everything runs in this
 * one Node process, producers included, as the peers' own quick starts do.
 *
 * A database `fb_bench_<random>` is created on the server at DATABASE_URL and dropped at the end;
 * every Redis key is under `fbbench:<random>:` and deleted at the end. BullMQ is a dev dependency
 * used here only, never by `src/`.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Queue, Worker } from "bullmq"
import { Context, Duration, Effect, ExecutionStrategy, Layer, Metric, Redacted, Runtime, Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import { loadavg } from "node:os"
import pg from "pg"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { ConsumerConfig } from "../../src/events/ConsumerConfig.js"
import { batchSize, batchSplits, ConsumerProcessor } from "../../src/events/ConsumerProcessor.js"
import { makeConsumerRuntime } from "../../src/events/ConsumerRuntime.js"
import type { EventHandler } from "../../src/events/EventHandler.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import { HandlerRegistry, makeRegistry } from "../../src/events/HandlerRegistry.js"
import * as Redis from "../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../src/events/RedisStreamsTransport.js"
import * as Relay from "../../src/events/Relay.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { toRepositoryError } from "../../src/repositories/sql/SqlErrors.js"
import { handlerRetry } from "../../src/resilience/RetrySchedules.js"
import { anEnvelope } from "../contract/Fixtures.js"
import { deleteKeys } from "../integration/events/RedisSupport.js"

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  return Number.isFinite(value) && value > 0 ? value : fallback
}
export const settings = {
  seconds: env("BENCH_EVENTS_SECONDS", 5),
  rate: env("BENCH_EVENTS_RATE", 1000),
  producers: env("BENCH_PRODUCERS", 32),
  bullmqConcurrency: env("BENCH_BULLMQ_CONCURRENCY", 50),
  pool: env("BENCH_PG_POOL", 10),
  workers: env("BENCH_FLOWBOARD_WORKERS", 1),
  handlerConcurrency: env("BENCH_HANDLER_CONCURRENCY", 4)
}
const warmUpSeconds = 1

interface Figures {
  readonly perSecond: number
  /** This process's CPU time (user + system) per event: steady when other work shares the machine. */
  readonly cpuMsPerEvent: number
  readonly p50: number
  readonly p99: number
  readonly achieved: number
}
interface Result {
  readonly saturation: Figures
  readonly paced: Figures
}

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/** When each event of a run started (its producer's call) and was handled; completes when all were. */
const latest = (times: Iterable<number>): number => {
  let max = -Infinity
  for (const t of times) if (t > max) max = t
  return max
}

class Tally {
  readonly started = new Map<string, number>()
  readonly done = new Map<string, number>()
  issued = 0
  closed = false
  private resolve: () => void = () => {}
  readonly finished = new Promise<void>((resolve) => (this.resolve = resolve))
  start(id: string) {
    this.started.set(id, performance.now())
    this.issued += 1
  }
  finish(id: string) {
    if (!this.started.has(id) || this.done.has(id)) return
    this.done.set(id, performance.now())
    this.check()
  }
  close() {
    this.closed = true
    this.check()
  }
  private check() {
    if (this.closed && this.done.size >= this.issued) this.resolve()
  }
  figures(first: number, cpuMicros: number): Figures {
    const latencies = [...this.started].map(([id, at]) => (this.done.get(id) ?? NaN) - at).sort((a, b) => a - b)
    // Not `Math.max(...values)`: a fast peer's run has more entries than the call stack takes arguments.
    const last = latest(this.done.values())
    const lastStart = latest(this.started.values())
    return {
      perSecond: this.done.size / ((last - first) / 1000),
      cpuMsPerEvent: cpuMicros / 1000 / this.done.size,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      achieved: this.issued / ((lastStart - first) / 1000)
    }
  }
}

const withTimeout = (promise: Promise<void>, seconds: number, what: string) =>
  Promise.race([promise, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`${what}: not all handled within ${seconds} s`)), seconds * 1000).unref())])

/**
 * One run against `issue` (which calls the producer for one event and notes its start in the
 * tally): at saturation, `producers` loops for `seconds`; paced, one call every 1/rate s.
 */
const drive = async (issue: (tally: Tally, n: number) => Promise<void>, mode: "saturation" | "paced", seconds: number, current: { tally: Tally }) => {
  const tally = new Tally()
  current.tally = tally
  const cpu = process.cpuUsage()
  const first = performance.now()
  const until = first + seconds * 1000
  let n = 0
  if (mode === "saturation") {
    await Promise.all(Array.from({ length: settings.producers }, async () => {
      while (performance.now() < until) await issue(tally, n++)
    }))
  } else {
    const total = Math.round(seconds * settings.rate)
    const calls: Array<Promise<void>> = []
    while (n < total) {
      const due = Math.min(total, Math.floor(((performance.now() - first) * settings.rate) / 1000) + 1)
      while (n < due) calls.push(issue(tally, n++))
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await Promise.all(calls)
  }
  tally.close()
  await withTimeout(tally.finished, 120, mode)
  const used = process.cpuUsage(cpu)
  return tally.figures(first, used.user + used.system)
}

const measure = async (issue: (tally: Tally, n: number) => Promise<void>, current: { tally: Tally }): Promise<Result> => {
  await drive(issue, "saturation", warmUpSeconds, current)
  const saturation = await drive(issue, "saturation", settings.seconds, current)
  const paced = await drive(issue, "paced", settings.seconds, current)
  return { saturation, paced }
}

// ---- BullMQ -------------------------------------------------------------------------------------

const bullmq = async (redisUrl: string, prefix: string, databaseUrl: string | null): Promise<Result> => {
  const connection = () => new IORedis(redisUrl, { maxRetriesPerRequest: null })
  const name = databaseUrl === null ? "noop" : "pg"
  const pool = databaseUrl === null ? null : new pg.Pool({ connectionString: databaseUrl, max: settings.pool })
  const current = { tally: new Tally() }
  const queueConnection = connection()
  const workerConnection = connection()
  const queue = new Queue(name, { connection: queueConnection, prefix })
  const worker = new Worker<{ readonly id: string }>(
    name,
    async (job) => {
      if (pool !== null) await pool.query("INSERT INTO bullmq_handled (job_id) VALUES ($1)", [job.data.id])
    },
    { connection: workerConnection, prefix, concurrency: settings.bullmqConcurrency }
  )
  worker.on("completed", (job) => current.tally.finish(job.data.id))
  worker.on("failed", (_job, error) => console.error("BullMQ job failed", error))
  await worker.waitUntilReady()
  try {
    let sequence = 0
    return await measure(async (tally) => {
      const id = `${name}-${(sequence += 1)}`
      tally.start(id)
      await queue.add("job", { id }, { removeOnComplete: true, removeOnFail: true })
    }, current)
  } finally {
    await worker.close()
    await queue.close()
    queueConnection.disconnect()
    workerConnection.disconnect()
    await pool?.end()
  }
}

// ---- Flowboard ----------------------------------------------------------------------------------

type Transport = Context.Tag.Service<EventTransport>

/** The runtime acks a batch right after its unit of work committed: that ack is when it was handled. */
const observed = (transport: Transport, current: { tally: Tally }): Transport =>
  EventTransport.of({
    ...transport,
    ack: (group, deliveries) =>
      Effect.zipRight(
        Effect.sync(() => {
          for (const delivery of deliveries) current.tally.finish(delivery.envelope.id)
        }),
        transport.ack(group, deliveries)
      )
  })

/** Its effect is a row per event, written in the unit of work the processor opened with the inbox rows. */
const benchHandler = (sql: SqlClient.SqlClient): EventHandler => ({
  name: "bench-handler",
  types: "*",
  concurrency: settings.handlerConcurrency,
  retry: handlerRetry,
  handle: (event) => sql`INSERT INTO bench_handled (event_id) VALUES (${event.id})`.pipe(Effect.mapError(toRepositoryError), Effect.asVoid),
  handleBatch: (events) =>
    sql`INSERT INTO bench_handled ${sql.insert(events.map((event) => ({ eventId: event.id })))}`.pipe(Effect.mapError(toRepositoryError), Effect.asVoid)
})

const flowboard = (redisUrl: string, prefix: string, databaseUrl: Redacted.Redacted) =>
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* PgClient.make({ url: databaseUrl, maxConnections: settings.pool * 2, ...NameTransforms })
      const db = Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client))
      const services = yield* Layer.build(ConsumerProcessor.Default.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provide(Layer.succeedContext(db))))
      const ctx = Context.merge(db, services)
      const current = { tally: new Tally() }
      const connect = Effect.flatMap(Redis.make({ url: Redacted.make(redisUrl), prefix }), (redis) =>
        RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis)))
      const relayTransport = yield* connect
      yield* Relay.make({ batchSize: 500 }).pipe(Effect.provide(db), Effect.provideService(EventTransport, relayTransport))
      const options = yield* ConsumerConfig
      for (let n = 0; n < settings.workers; n++) {
        const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
        const own = yield* Scope.extend(connect, scope)
        yield* makeConsumerRuntime(options).pipe(
          Effect.provideService(HandlerRegistry, yield* makeRegistry([benchHandler(client)])),
          Effect.provideService(EventTransport, observed(own, current)),
          Effect.provide(ctx),
          Scope.extend(scope)
        )
      }
      const outbox = Context.get(services, OutboxRepository)
      const runPromiseExit = Runtime.runPromiseExit(yield* Effect.runtime<never>())
      // One statement, committed on its own: the event's own durable commit, one round trip as
      // BullMQ's add is. (In a service the insert joins the change's transaction instead.)
      const commit = (event: OutboxEnvelope) => runPromiseExit(outbox.append([event]))
      const result = yield* Effect.promise(() =>
        measure(async (tally) => {
          const event = anEnvelope()
          tally.start(event.id)
          const exit = await commit(event)
          if (exit._tag === "Failure") throw new Error(`commit failed: ${String(exit.cause)}`)
        }, current))
      const batches = yield* Metric.value(Metric.tagged(batchSize, "handler", "bench-handler"))
      const splits = yield* Metric.value(Metric.tagged(batchSplits, "handler", "bench-handler"))
      const rows = yield* client<{ readonly n: number }>`SELECT count(*)::int AS n FROM bench_handled`
      const expected = yield* client<{ readonly n: number }>`SELECT count(*)::int AS n FROM outbox`
      if (rows[0]?.n !== expected[0]?.n) return yield* Effect.dieMessage(`bench_handled has ${rows[0]?.n} rows for ${expected[0]?.n} events`)
      return { ...result, options, batches: { count: batches.count, mean: batches.sum / Math.max(1, batches.count), splits: splits.count } }
    })
  ).pipe(Effect.provide(Reactivity.layer))

// ---- the run ------------------------------------------------------------------------------------

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** A database of its own, migrated, with both handlers' tables; dropped when the scope closes. */
const benchDatabase = (serverUrl: string) =>
  Effect.gen(function* () {
    const name = `fb_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`
    const admin = yield* PgClient.make({ url: Redacted.make(withDatabase(serverUrl, "postgres")), maxConnections: 1 })
    yield* admin`CREATE DATABASE ${admin(name)}`
    yield* Effect.addFinalizer(() => Effect.ignore(admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`))
    const url = withDatabase(serverUrl, name)
    yield* Effect.scoped(
      Effect.gen(function* () {
        const client = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1, ...NameTransforms })
        yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
        yield* client`CREATE TABLE bench_handled (event_id text PRIMARY KEY)`
        yield* client`CREATE TABLE bullmq_handled (job_id text PRIMARY KEY)`
      })
    )
    return url
  }).pipe(Effect.provide(Reactivity.layer))

const ms = (x: number) => `${x.toFixed(1)} ms`
const columns = [["system", 26], ["saturation ev/s", 17], ["CPU ms/event", 14], [`p50 @${settings.rate}/s`, 14], [`p99 @${settings.rate}/s`, 14], ["offered achieved/s", 0]] as const
const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(columns[i]?.[1] ?? 0)).join(" ").trimEnd()
const rowOf = (name: string, { paced, saturation }: Result) =>
  line([name, Math.round(saturation.perSecond).toString(), saturation.cpuMsPerEvent.toFixed(3), ms(paced.p50), ms(paced.p99), Math.round(paced.achieved).toString()])

export const compareWithBullmq = (serverUrl: string, redisUrl: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const url = yield* benchDatabase(serverUrl)
      const prefix = `fbbench:${crypto.randomUUID().slice(0, 8)}:`
      yield* Effect.acquireRelease(Effect.sync(() => new IORedis(redisUrl)), (redis) =>
        Effect.zipRight(deleteKeys(redis, prefix), Effect.sync(() => redis.disconnect())))
      const before = loadavg()
      console.log(
        `events vs BullMQ: ${settings.seconds} s per run after a ${warmUpSeconds} s warm-up; saturation with ${settings.producers} producers; ` +
          `paced at ${settings.rate}/s. BullMQ worker concurrency ${settings.bullmqConcurrency}, pg pool ${settings.pool}; ` +
          `Flowboard: ${settings.workers} consumer runtime(s), handler concurrency ${settings.handlerConcurrency}, pool ${settings.pool * 2} (producers, relay, consumers)`
      )
      // BENCH_ONLY=flowboard skips the peers (for profiling); their rows then print as zeros.
      const skipPeers = process.env["BENCH_ONLY"] === "flowboard"
      const nothing: Figures = { perSecond: NaN, cpuMsPerEvent: NaN, p50: NaN, p99: NaN, achieved: NaN }
      const none: Result = { saturation: nothing, paced: nothing }
      const noop = skipPeers ? none : yield* Effect.promise(() => bullmq(redisUrl, `${prefix}bull`, null))
      const withPg = skipPeers ? none : yield* Effect.promise(() => bullmq(redisUrl, `${prefix}bull`, url))
      const ours = yield* flowboard(redisUrl, `${prefix}fb:`, Redacted.make(url))
      const after = loadavg()
      console.log(
        `Flowboard WORKER_BATCH_SIZE ${ours.options.batchSize ?? "default"}, WORKER_BLOCK ${Duration.format(ours.options.block)}: ` +
          `${ours.batches.count} batch units of work (2+ events) of ${ours.batches.mean.toFixed(1)} events on average, ${ours.batches.splits} splits\n`
      )
      console.log(line(columns.map(([name]) => name)))
      console.log(rowOf("BullMQ add → no-op", noop))
      console.log(rowOf("BullMQ add → pg row", withPg))
      console.log(rowOf("Flowboard commit → handled", ours))
      const verdict = (met: boolean) => (met ? "met" : "NOT MET")
      const ratio = (a: number, b: number, target: number) =>
        Number.isFinite(b) ? `${(a / b).toFixed(2)}× (target ≥ ${target.toFixed(1)}×: ${verdict(a / b >= target)})` : "n/a (peers skipped)"
      console.log(
        `\nFlowboard ÷ BullMQ+pg at saturation: ${ratio(ours.saturation.perSecond, withPg.saturation.perSecond, 1)}; ` +
          `÷ BullMQ no-op: ${ratio(ours.saturation.perSecond, noop.saturation.perSecond, 0.5)}; ` +
          `p99 at ${settings.rate}/s: ${ms(ours.paced.p99)} (target ≤ 50 ms: ${verdict(ours.paced.p99 <= 50)}; BullMQ+pg ${ms(withPg.paced.p99)})`
      )
      console.log(`load average (1, 5, 15 min): before ${before.map((x) => x.toFixed(2)).join(" ")}, after ${after.map((x) => x.toFixed(2)).join(" ")}`)
    })
  )
