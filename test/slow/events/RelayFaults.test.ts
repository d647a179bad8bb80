/**
 * The relay against Postgres and Redis, with faults: Redis cut off while events are produced,
 * two relays at once, another relay holding an aggregate's earlier event. Counts are of
 * distinct event ids received against ids produced; order is checked per aggregate on what a
 * consumer receives. The tests share one scratch database, so each looks at its own events.
 */
import { SqlClient } from "@effect/sql"
import { OutboxWakeUpLive } from "../../../src/repositories/sql/OutboxWakeUp.js"
import { describe, expect, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Logger, LogLevel, Metric, Redacted } from "effect"
import { EventTransport } from "../../../src/events/EventTransport.js"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import * as Redis from "../../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../../src/events/RedisStreamsTransport.js"
import * as Relay from "../../../src/events/Relay.js"
import { relayBatch } from "../../../src/events/RelayBatch.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { SqlOutboxRepositoryLive } from "../../../src/repositories/sql/SqlOutboxRepository.js"
import { backoff } from "../../../src/resilience/RetrySchedules.js"
import { PostgresTest, skipPostgres } from "../../support/Database.js"
import { makeRedisTest, redisUrl, skipRedis } from "../../integration/events/RedisSupport.js"
import { aggregates, collect, distinct, eventually, expectInOrder, firstDeliveries, history, produce, redisProxy, unpublished, versionsByAggregate } from "../../integration/events/RelaySupport.js"

const quickRetry = backoff({ base: "10 millis", cap: "40 millis", jitter: "equal" })
const ids = (events: ReadonlyArray<{ readonly id: string }>) => events.map((e) => e.id)

describe.skipIf(skipPostgres || skipRedis)("Relay on Postgres and Redis", () => {
  layer(SqlOutboxRepositoryLive.pipe(Layer.provide(OutboxWakeUpLive), Layer.provideMerge(PostgresTest)), { excludeTestServices: true })((it) => {
    it.scoped("with Redis unreachable, events wait in the outbox; when it returns all arrive, none lost", () =>
      Effect.gen(function* () {
        const direct = yield* makeRedisTest("relay-outage")
        const proxy = yield* redisProxy(new URL(redisUrl ?? "redis://127.0.0.1:6379"))
        const viaProxy = yield* Redis.make({ url: Redacted.make(proxy.url), prefix: direct.prefix, commandTimeoutMs: 200, maxReconnectDelayMs: 40 })
        const relayTransport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, viaProxy))
        const consumer = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, direct))
        yield* consumer.ensureGroup("check")
        yield* Relay.make({ retry: quickRetry }).pipe(Effect.provideService(EventTransport, relayTransport))

        const before = history(aggregates(4), 5).flat()
        yield* produce([before], 5)
        expect(distinct(yield* collect(consumer, "check", before, { settleMs: 0 }))).toBe(20)

        yield* proxy.down
        const failuresAtCut = (yield* Metric.value(Relay.relayFailures)).count
        const during = history(aggregates(6), 5)
        yield* produce(during, 2)
        // The relay has tried (and rolled back) several times: the events are still in the outbox.
        yield* eventually(Metric.value(Relay.relayFailures), (c) => c.count >= failuresAtCut + 3)
        expect(yield* unpublished(during.flat())).toBe(30)
        expect(yield* consumer.lag("check")).toEqual({ pending: 0, backlog: 0 })

        yield* proxy.up
        const received = yield* collect(consumer, "check", during.flat())
        expect(new Set(ids(received.map((d) => d.envelope)))).toEqual(new Set(ids(during.flat())))
        expectInOrder(versionsByAggregate(firstDeliveries(received)), 5)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Error))) // the expected failures are logged as warnings

    it.scoped("two relays at once: every event published exactly once, order per aggregate kept", () =>
      Effect.gen(function* () {
        const redis = yield* makeRedisTest("two-relays")
        const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
        yield* transport.ensureGroup("check")
        const relay = Relay.make({ batchSize: 10 }).pipe(Effect.provideService(EventTransport, transport))
        yield* relay
        yield* relay
        const histories = history(aggregates(16), 10)
        yield* produce(histories, 2)
        const received = yield* collect(transport, "check", histories.flat())
        expect(distinct(received)).toBe(160)
        expect(received).toHaveLength(160) // no duplicates published
        expectInOrder(versionsByAggregate(received), 10)
      }))

    it.scoped("an event waits while another relay holds an earlier one of its aggregate; others flow", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const [[x1, x2], [y1]] = [history(aggregates(1), 2)[0]!, history(aggregates(1), 1)[0]!]
        yield* Effect.flatMap(OutboxRepository, (outbox) => outbox.append([x1!, x2!, y1!]))
        const locked = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const otherRelay = yield* Effect.fork(sql.withTransaction(
          sql`SELECT id FROM outbox WHERE id = ${x1!.id} FOR UPDATE`.pipe(
            Effect.zipRight(Deferred.succeed(locked, undefined)),
            Effect.zipRight(Deferred.await(release))
          )
        ))
        yield* Deferred.await(locked)
        const transport = yield* InProcessTransport.make()
        const ours = new Set<string>(ids([x1!, x2!, y1!]))
        const mine = (batch: { readonly published: ReadonlyArray<{ readonly id: string }> }) =>
          ids(batch.published).filter((id) => ours.has(id))
        const first = yield* relayBatch(50).pipe(Effect.provideService(EventTransport, transport))
        expect(mine(first)).toEqual([y1!.id])
        expect(first.deferred).toBeGreaterThanOrEqual(1)
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(otherRelay)
        const second = yield* relayBatch(50).pipe(Effect.provideService(EventTransport, transport))
        expect(mine(second)).toEqual([x1!.id, x2!.id])
      }))

    it.scoped("a commit wakes the relay through NOTIFY: with a poll interval of an hour, the events still arrive", () =>
      Effect.gen(function* () {
        const transport = yield* InProcessTransport.make()
        yield* transport.ensureGroup("check")
        yield* Relay.make({ pollInterval: "1 hour" }).pipe(Effect.provideService(EventTransport, transport))
        yield* Effect.sleep("100 millis") // the first pass is over and LISTEN is in place
        const events = history(aggregates(1), 3).flat()
        yield* produce([events], 3)
        // No elapsed-time assertion: without the wake-up nothing would arrive for an hour.
        expect(distinct(yield* collect(transport, "check", events, { settleMs: 0, timeoutMs: 20_000 }))).toBe(3)
      }))
  })
})
