/**
 * Event pipeline throughput and latency, from outbox commit to consumed: producers commit
 * events to the outbox, one relay publishes them, consumers in one group read and acknowledge.
 * The consumers are plain transport readers (read, ack), not the consumer runtime with its
 * handlers and inbox, so the figures are the pipeline's ceiling, not a handler's. "Workers" are
 * consumer fibers in this process. Postgres at TEST_DATABASE_URL / DATABASE_URL (a scratch
 * database), Redis at TEST_REDIS_URL / REDIS_URL (a scratch key prefix); without Postgres the
 * database is PGlite. Run with `npm run bench:events` (BENCH_EVENTS=n to change the size).
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { NodeRuntime } from "@effect/platform-node"
import { Context, Deferred, Effect, Fiber, Layer, Logger, LogLevel, Redacted, type Scope } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import * as InProcessTransport from "../../src/events/InProcessTransport.js"
import * as Redis from "../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../src/events/RedisStreamsTransport.js"
import * as Relay from "../../src/events/Relay.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"
import { SqlOutboxRepositoryLive } from "../../src/repositories/sql/SqlOutboxRepository.js"
import { anEnvelope } from "../contract/Fixtures.js"
import { deleteKeys, uniquePrefix } from "../integration/events/RedisSupport.js"
import { makeScratchDatabase, postgresUrl } from "../support/Database.js"

const burstSize = Number(process.env["BENCH_EVENTS"] ?? 5000)
const redisUrl = process.env["TEST_REDIS_URL"] ?? process.env["REDIS_URL"]

type Transport = Context.Tag.Service<EventTransport>

/** A migrated database: a scratch one on the Postgres server, else an in-memory PGlite. */
const database: Effect.Effect<Context.Context<SqlClient.SqlClient | PgClient.PgClient> | Context.Context<SqlClient.SqlClient>, unknown, Scope.Scope> =
  Effect.gen(function* () {
    if (postgresUrl !== undefined) {
      const client = yield* PgClient.make({ url: yield* makeScratchDatabase, maxConnections: 20, ...NameTransforms })
      yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
      return Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client))
    }
    const client = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
    yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
    return Context.make(SqlClient.SqlClient, client)
  }).pipe(Effect.provide(Reactivity.layer))

const transportOf = (kind: "redis" | "in-process") =>
  Effect.gen(function* () {
    if (kind === "in-process") return yield* InProcessTransport.make()
    const prefix = uniquePrefix("bench")
    const redis = yield* Redis.make({ url: Redacted.make(redisUrl ?? "redis://127.0.0.1:6379"), prefix })
    yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(redis.commands, prefix)))
    return yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/**
 * Commits `events` (`perTransaction` per transaction, `concurrency` transactions at once, each
 * started `paceMs` after the previous when paced) and waits until all were consumed.
 * Answers the wall time from the first commit's start to the last event consumed, and each
 * event's latency from its transaction's commit to its consumption.
 */
const run = (transport: Transport, consumers: number, events: ReadonlyArray<OutboxEnvelope>, perTransaction: number, concurrency: number, paceMs = 0) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* OutboxRepository
    const committed = new Map<string, number>()
    const consumed = new Map<string, number>()
    const done = yield* Deferred.make<void>()
    const consumer = (n: number) =>
      Effect.gen(function* () {
        while (!(yield* Deferred.isDone(done))) {
          const batch = yield* transport.read({ group: "bench", consumer: `c${n}`, count: 100, blockMs: 100, claimIdleMs: 30_000 })
          const now = performance.now()
          for (const d of batch) if (!consumed.has(d.envelope.id)) consumed.set(d.envelope.id, now)
          yield* transport.ack("bench", batch)
          if (consumed.size >= events.length) yield* Deferred.succeed(done, undefined)
        }
      })
    const fibers = yield* Effect.forEach(Array.from({ length: consumers }, (_, n) => n), (n) => Effect.fork(consumer(n)))
    const chunks = Array.from({ length: Math.ceil(events.length / perTransaction) }, (_, i) => events.slice(i * perTransaction, (i + 1) * perTransaction))
    const started = performance.now()
    yield* Effect.forEach(chunks, (chunk, i) =>
      Effect.gen(function* () {
        if (paceMs > 0) yield* Effect.sleep(Math.max(0, started + i * paceMs - performance.now()))
        yield* sql.withTransaction(outbox.append(chunk))
        const at = performance.now()
        for (const e of chunk) committed.set(e.id, at)
      }), { concurrency, discard: true })
    yield* Deferred.await(done).pipe(Effect.timeoutFail({ duration: "120 seconds", onTimeout: () => new Error("events were not all consumed in 120 s") }))
    yield* Fiber.interruptAll(fibers)
    const last = Math.max(...consumed.values())
    // A consumer can see an event before the producer's commit call has returned: count that as 0.
    const latencies = events.map((e) => Math.max(0, (consumed.get(e.id) ?? NaN) - (committed.get(e.id) ?? NaN))).sort((a, b) => a - b)
    return { seconds: (last - started) / 1000, latencies }
  })

const scenario = (kind: "redis" | "in-process", consumers: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const db = yield* database
      const env = yield* Layer.build(SqlOutboxRepositoryLive.pipe(Layer.provide(Layer.succeedContext(db))))
      const transport = yield* transportOf(kind)
      yield* transport.ensureGroup("bench")
      yield* Relay.make({ batchSize: 500 }).pipe(Effect.provide(db), Effect.provideService(EventTransport, transport))
      const events = (n: number) => Array.from({ length: n }, () => anEnvelope())
      const ctx = Context.merge(db, env)
      yield* run(transport, consumers, events(200), 10, 4).pipe(Effect.provide(ctx)) // warm-up
      const burst = yield* run(transport, consumers, events(burstSize), 20, 8).pipe(Effect.provide(ctx))
      const paced = yield* run(transport, consumers, events(300), 1, 4, 5).pipe(Effect.provide(ctx))
      const ms = (x: number) => `${x.toFixed(1)} ms`
      console.log(
        [
          `${kind.padEnd(10)} ${String(consumers).padStart(2)} worker(s)`,
          `burst ${burstSize} events: ${Math.round(burstSize / burst.seconds).toString().padStart(6)} events/s,`,
          `latency p50 ${ms(percentile(burst.latencies, 0.5))} p99 ${ms(percentile(burst.latencies, 0.99))}`,
          `| paced 200 tx/s: p50 ${ms(percentile(paced.latencies, 0.5))} p99 ${ms(percentile(paced.latencies, 0.99))}`
        ].join("  ")
      )
    })
  )

const main = Effect.gen(function* () {
  console.log(`events bench: database ${postgresUrl === undefined ? "PGlite (in memory, relay polls every 250 ms)" : "Postgres (LISTEN/NOTIFY)"}; 1 relay (batch 500);`)
  console.log("consumers are plain transport readers (read + ack), not the consumer runtime; workers are fibers in one process\n")
  for (const consumers of [1, 4]) yield* scenario("in-process", consumers)
  if (redisUrl === undefined) console.log("redis: skipped (set REDIS_URL)")
  else for (const consumers of [1, 4]) yield* scenario("redis", consumers)
}).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

NodeRuntime.runMain(main)
