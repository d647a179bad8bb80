/**
 * Redis restarted without persistence while events flow: everything it held (streams, groups,
 * pending entries) is gone. The relay must notice (the epoch marker is missing), re-queue from
 * the outbox every event some handler has not recorded, and the consumers must carry on without
 * a restart. Counted in SQL: an event is lost for a handler when, once the system settles, its
 * inbox has no row for it; an effect is duplicated when it has more than one (the inbox's key
 * forbids it, so the count checks the key too).
 *
 * The Redis here is the suite's own `redis-server` on a free port, killed with SIGKILL and
 * started again empty; the shared server is never touched. Relay and consumer runtime run in
 * this process (the fault suite with `flowboard` processes is issue 11's next part).
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, LogLevel, Metric, Redacted } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { ConsumerProcessor } from "../../src/events/ConsumerProcessor.js"
import { makeConsumerRuntime } from "../../src/events/ConsumerRuntime.js"
import type { EventHandler } from "../../src/events/EventHandler.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import { HandlerRegistry, makeRegistry } from "../../src/events/HandlerRegistry.js"
import * as Redis from "../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../src/events/RedisStreamsTransport.js"
import * as Relay from "../../src/events/Relay.js"
import { eventsRequeued, transportDataLosses, transportRecovering } from "../../src/events/RelayRecovery.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { handlerRetry } from "../../src/resilience/RetrySchedules.js"
import { anEnvelope, unique } from "../contract/Fixtures.js"
import { skipRedis } from "../integration/events/RedisSupport.js"
import { PostgresTest, skipPostgres } from "../support/Database.js"
import { eventually, freePort, kill, redisServer } from "./Processes.js"

const Env = ConsumerProcessor.Default.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(PostgresTest))

/** A handler whose effect is its inbox row; slow enough that Redis holds a backlog when it dies. */
const slowHandler = (name: string): EventHandler => ({
  name,
  types: "*",
  concurrency: 2,
  retry: handlerRetry,
  handle: () => Effect.sleep("5 millis"),
  handleBatch: () => Effect.sleep("20 millis")
})

describe.skipIf(skipPostgres || skipRedis)("Redis loses its data mid-stream", () => {
  layer(Env, { excludeTestServices: true, timeout: 120_000 })((it) => {
    it.scoped("restarted empty under load: nothing lost, nothing duplicated, consumers recover without a restart", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* OutboxRepository
        const port = yield* freePort
        const handlers = [slowHandler(`loss-a-${unique()}`), slowHandler(`loss-b-${unique()}`)]
        const registry = yield* makeRegistry(handlers)
        const losses = (yield* Metric.value(transportDataLosses)).count
        const requeuedBefore = (yield* Metric.value(eventsRequeued)).count

        let server = yield* redisServer(port)
        const redis = yield* Redis.make({ url: Redacted.make(`redis://127.0.0.1:${port}`), prefix: `fbchaos:${unique()}:`, commandTimeoutMs: 500, maxReconnectDelayMs: 50 })
        const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
        const withPipeline = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(Effect.provideService(HandlerRegistry, registry), Effect.provideService(EventTransport, transport))
        yield* withPipeline(Relay.make({ batchSize: 50, pollInterval: "50 millis", lossCheckInterval: "100 millis" }))
        yield* withPipeline(makeConsumerRuntime({ drainTimeout: Duration.seconds(2), claimIdle: Duration.millis(500), block: Duration.millis(50) }))

        const sent: Array<OutboxEnvelope> = []
        const produce = (batches: number) =>
          Effect.forEach(Array.from({ length: batches }), () => {
            const batch = Array.from({ length: 5 }, () => anEnvelope())
            sent.push(...batch)
            return Effect.zipRight(outbox.append(batch), Effect.sleep("5 millis"))
          }, { discard: true })

        yield* produce(60)
        // Some handled, the rest waiting in Redis: then Redis dies and comes back empty.
        yield* kill(server)
        server = yield* redisServer(port)
        yield* produce(60)

        const ids = sent.map((e) => e.id)
        const counts = Effect.forEach(handlers, (handler) =>
          Effect.map(
            sql<{ readonly handled: number; readonly repeated: number }>`
              SELECT count(DISTINCT event_id)::int AS handled, (count(*) - count(DISTINCT event_id))::int AS repeated
              FROM inbox WHERE handler = ${handler.name} AND ${sql.in("event_id", ids)}`,
            (rows) => ({ handled: rows[0]?.handled ?? 0, repeated: rows[0]?.repeated ?? 0 })
          ))
        const settled = yield* eventually(counts, (all) => all.every((c) => c.handled === ids.length))
        const lost = settled.map((c) => ids.length - c.handled)
        const duplicated = settled.map((c) => c.repeated)
        const requeued = (yield* Metric.value(eventsRequeued)).count - requeuedBefore
        yield* Effect.logInfo("chaos: Redis restarted empty mid-stream").pipe(
          Effect.annotateLogs({ sent: ids.length, lost, duplicated, requeued }),
          Logger.withMinimumLogLevel(LogLevel.Info)
        )

        expect(lost).toEqual([0, 0])
        expect(duplicated).toEqual([0, 0])
        // The loss was seen and acted on: events were re-queued from the outbox (without the
        // recovery, the ones Redis held when it died never reach the inboxes above).
        expect((yield* Metric.value(transportDataLosses)).count).toBeGreaterThan(losses)
        expect(requeued).toBeGreaterThan(0)
        const recovering = yield* eventually(Metric.value(transportRecovering), (g) => g.value === 0)
        expect(recovering.value).toBe(0)
        yield* kill(server)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)))
  })
})
