/**
 * The consumer runtime against Postgres and Redis: a worker killed with handlers blocked inside
 * their transactions, and two workers racing for the same entries. Effects are counted as rows
 * the handler wrote (outbox events it recorded, one per source event), never as log lines.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Deferred, Duration, Effect, ExecutionStrategy, Exit, Layer, Logger, LogLevel, Ref, Scope } from "effect"
import type { OutboxEnvelope } from "../../src/domain/Events.js"
import type { ConsumerOptions } from "../../src/events/ConsumerConfig.js"
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
import { PostgresTest, skipPostgres } from "../support/Database.js"
import { handledCount } from "../support/EventMetrics.js"
import { type Behaviour, effectsOf, makeProbe, type Probe, succeed } from "../unit/events/ConsumerSupport.js"
import { makeRedisTest, skipRedis } from "../integration/events/RedisSupport.js"
import { eventually } from "../integration/events/RelaySupport.js"

const Env = Layer.mergeAll(ConsumerProcessor.Default, Outbox.Default).pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(PostgresTest))

const fast: ConsumerOptions = { drainTimeout: Duration.seconds(5), claimIdle: Duration.millis(200), block: Duration.millis(50) }

/** A Redis transport on a prefix of its own, and a probe handler under a fresh name. */
const setUp = (behaviour: Behaviour, concurrency: number) =>
  Effect.gen(function* () {
    const redis = yield* makeRedisTest("consumers")
    const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
    const probe = yield* makeProbe({ name: `crash-${unique()}`, concurrency, behaviour })
    return { transport, probe }
  })

/**
 * A worker process: the runtime in a scope of its own (closing it is SIGTERM), itself closed
 * with the test's, before the Redis connection the test opened earlier.
 */
const startWorker = (transport: EventTransport["Type"], probe: Probe, options: ConsumerOptions) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const registry = yield* makeRegistry([probe.handler])
    yield* makeConsumerRuntime(options).pipe(
      Effect.provideService(HandlerRegistry, registry),
      Effect.provideService(EventTransport, transport),
      Scope.extend(scope)
    )
    return scope
  })

const effectCounts = (events: ReadonlyArray<OutboxEnvelope>) =>
  Effect.map(Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll), (all) => events.map((event) => effectsOf(all, event).length))

const duplicates = (handler: string) => handledCount(handler, "Duplicate")

describe.skipIf(skipPostgres || skipRedis)("Consumers on Postgres and Redis", () => {
  layer(Env, { excludeTestServices: true })((it) => {
    it.scoped("a worker killed mid-batch: another takes over; every event handled, none twice in effect, nothing pending", () =>
      Effect.gen(function* () {
        const [started, release] = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
        const { probe, transport } = yield* setUp({ _tag: "Block", started, release }, 4)
        const events = Array.from({ length: 12 }, () => anEnvelope())
        // A drain timeout of zero: shutdown interrupts at once, as a kill would.
        const doomed = yield* startWorker(transport, probe, { ...fast, drainTimeout: Duration.zero })
        yield* transport.publish(events.map((envelope) => ({ envelope, priority: "default" as const })))
        yield* Deferred.await(started)
        yield* Scope.close(doomed, Exit.void)
        // The blocked handlers had written inside their transactions: all rolled back.
        expect(yield* effectCounts(events)).toEqual(events.map(() => 0))
        expect((yield* transport.lag(probe.handler.name)).pending).toBeGreaterThan(0)

        yield* Ref.set(probe.behaviour, succeed)
        yield* startWorker(transport, probe, fast)
        const lag = yield* eventually(transport.lag(probe.handler.name), (l) => l.pending === 0 && l.backlog === 0)
        expect(lag).toEqual({ pending: 0, backlog: 0 })
        expect(yield* effectCounts(events)).toEqual(events.map(() => 1))
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Error)))

    it.scoped("two workers at once, claiming each other's slow entries: no duplicates in effect", () =>
      Effect.gen(function* () {
        const { probe, transport } = yield* setUp({ _tag: "Slow", millis: 300 }, 4)
        const events = Array.from({ length: 16 }, () => anEnvelope())
        yield* startWorker(transport, probe, fast)
        yield* startWorker(transport, probe, fast)
        yield* transport.publish(events.map((envelope) => ({ envelope, priority: "default" as const })))
        yield* eventually(effectCounts(events), (counts) => counts.every((n) => n >= 1))
        yield* eventually(transport.lag(probe.handler.name), (l) => l.pending === 0 && l.backlog === 0)
        expect(yield* effectCounts(events)).toEqual(events.map(() => 1))
        // Handling takes longer than claimIdle, so entries were delivered twice: the inbox absorbed it.
        expect(yield* duplicates(probe.handler.name)).toBeGreaterThan(0)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Error)))
  })
})
