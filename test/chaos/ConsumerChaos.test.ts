/**
 * Consumers under faults, against Postgres and Redis. Redis is cut off (through a TCP proxy, the
 * shared server is never touched) while handlers are in flight: their effects commit but their
 * acks fail, so the entries stay pending and come back once Redis does. The inbox must absorb
 * every repeat. Effects are counted as rows the handler wrote, never as log lines.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, ExecutionStrategy, Layer, Logger, LogLevel, Redacted, Ref, Scope } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import { ConsumerProcessor } from "../../src/events/ConsumerProcessor.js"
import { makeConsumerRuntime } from "../../src/events/ConsumerRuntime.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import { HandlerRegistry, makeRegistry } from "../../src/events/HandlerRegistry.js"
import { Outbox } from "../../src/events/Outbox.js"
import * as Redis from "../../src/events/Redis.js"
import * as RedisStreamsTransport from "../../src/events/RedisStreamsTransport.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { anEnvelope, unique } from "../contract/Fixtures.js"
import { makeRedisTest, redisUrl, skipRedis } from "../integration/events/RedisSupport.js"
import { redisProxy } from "../integration/events/RelaySupport.js"
import { PostgresTest, skipPostgres } from "../support/Database.js"
import { handledCount } from "../support/EventMetrics.js"
import { effectsOf, makeProbe } from "../unit/events/ConsumerSupport.js"

const Env = Layer.mergeAll(ConsumerProcessor.Default, Outbox.Default).pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(PostgresTest))

/** `effect` every 25 ms until `done` holds (at most ~10 s, Redis reconnects back off); its last value. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400; i++) {
      const value = yield* effect
      if (done(value)) return value
      yield* Effect.sleep("25 millis")
    }
    return yield* effect
  })

const effectCounts = (events: ReadonlyArray<OutboxEnvelope>) =>
  Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (all) => events.map((event) => effectsOf(all, event).length))

describe.skipIf(skipPostgres || skipRedis)("Consumers under faults", () => {
  layer(Env, { excludeTestServices: true })((it) => {
    it.scoped("Redis cut off while handlers run: their acks fail, the entries come back, each event still has one effect", () =>
      Effect.gen(function* () {
        const direct = yield* makeRedisTest("consumer-chaos")
        const proxy = yield* redisProxy(new URL(redisUrl ?? "redis://127.0.0.1:6379"))
        const viaProxy = yield* Redis.make({ url: Redacted.make(proxy.url), prefix: direct.prefix, commandTimeoutMs: 200, maxReconnectDelayMs: 40 })
        const workerTransport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, viaProxy))
        const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, direct))

        const probe = yield* makeProbe({ name: `chaos-${unique()}`, concurrency: 4, behaviour: { _tag: "Slow", millis: 150 } })
        const worker = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
        yield* makeConsumerRuntime({ drainTimeout: Duration.seconds(2), claimIdle: Duration.millis(200), block: Duration.millis(50) }).pipe(
          Effect.provideService(HandlerRegistry, yield* makeRegistry([probe.handler])),
          Effect.provideService(EventTransport, workerTransport),
          Scope.extend(worker)
        )

        const events = Array.from({ length: 16 }, () => anEnvelope())
        yield* transport.publish(events.map((envelope) => ({ envelope, priority: "default" as const })))
        yield* eventually(Ref.get(probe.attempts), (started) => started.length >= 4)
        yield* proxy.down
        yield* Effect.sleep("300 millis")
        yield* proxy.up

        const lag = yield* eventually(transport.lag(probe.handler.name), (l) => l.pending === 0 && l.backlog === 0)
        expect(lag).toEqual({ pending: 0, backlog: 0 })
        expect(yield* effectCounts(events)).toEqual(events.map(() => 1))
        const repeats = yield* handledCount(probe.handler.name, "Duplicate")
        // The deliveries whose acks were lost came back, and the inbox turned them away.
        expect(repeats).toBeGreaterThan(0)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.None)))
  })
})
