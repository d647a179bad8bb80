/**
 * The relay on PGlite: no LISTEN there, so polling alone must move every event. The tests share
 * one database (starting PGlite is the expensive part), so each looks at its own events only.
 */
import { SqlClient } from "@effect/sql"
import { OutboxWakeUpLive } from "../../../src/repositories/sql/OutboxWakeUp.js"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Metric, Ref } from "effect"
import { EventTransport, TransportError } from "../../../src/events/EventTransport.js"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import * as Relay from "../../../src/events/Relay.js"
import { outboxUndecodable } from "../../../src/events/RelayBatch.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { SqlOutboxRepositoryLive } from "../../../src/repositories/sql/SqlOutboxRepository.js"
import { backoff } from "../../../src/resilience/RetrySchedules.js"
import { PgliteTest } from "../../support/Database.js"
import { aggregates, collect, distinct, eventually, expectInOrder, history, produce, unpublished, versionsByAggregate } from "./RelaySupport.js"

const quickRetry = backoff({ base: "10 millis", cap: "20 millis", jitter: "equal" })

describe("Relay on PGlite", () => {
  layer(SqlOutboxRepositoryLive.pipe(Layer.provide(OutboxWakeUpLive), Layer.provideMerge(PgliteTest)), { excludeTestServices: true })((it) => {
    it.scoped("polling relays every event once, in order per aggregate, and marks it published", () =>
      Effect.gen(function* () {
        const transport = yield* InProcessTransport.make()
        yield* transport.ensureGroup("check")
        yield* Relay.make({ pollInterval: "20 millis", batchSize: 16 }).pipe(Effect.provideService(EventTransport, transport))
        const histories = history(aggregates(6), 8)
        yield* produce(histories, 3)
        const received = yield* collect(transport, "check", histories.flat())
        expect(received).toHaveLength(48)
        expect(distinct(received)).toBe(48)
        expectInOrder(versionsByAggregate(received), 8)
        // Published before the commit that marks the rows: wait for that commit.
        expect(yield* eventually(unpublished(histories.flat()), (n) => n === 0)).toBe(0)
      }))

    it.scoped("a failing transport rolls each batch back; the relay retries until it gets through", () =>
      Effect.gen(function* () {
        const inner = yield* InProcessTransport.make()
        yield* inner.ensureGroup("check")
        const failuresLeft = yield* Ref.make(3)
        const flaky = EventTransport.of({
          ...inner,
          publish: (batch) =>
            Effect.flatMap(Ref.getAndUpdate(failuresLeft, (n) => n - 1), (n) =>
              n > 0 ? Effect.fail(new TransportError({ message: "Redis is down (simulated)" })) : inner.publish(batch))
        })
        const before = (yield* Metric.value(Relay.relayFailures)).count
        const events = history(aggregates(2), 3).flat()
        yield* produce([events], 6)
        yield* Relay.make({ pollInterval: "20 millis", retry: quickRetry, replayWindow: 0 }).pipe(Effect.provideService(EventTransport, flaky))
        const received = yield* collect(inner, "check", events)
        expect(received).toHaveLength(6) // once each
        expectInOrder(versionsByAggregate(received), 3)
        expect((yield* Metric.value(Relay.relayFailures)).count - before).toBe(3)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.Error))) // the expected failures are logged as warnings

    it.scoped("in-process transport: events published just before a crash are published again at start", () =>
      Effect.gen(function* () {
        const events = history(aggregates(2), 2).flat()
        yield* Effect.scoped(Effect.gen(function* () {
          const before = yield* InProcessTransport.make()
          yield* before.ensureGroup("check")
          yield* Relay.make({ pollInterval: "20 millis", replayWindow: 0 }).pipe(Effect.provideService(EventTransport, before))
          yield* produce([events], 4)
          expect(distinct(yield* collect(before, "check", events, { settleMs: 0 }))).toBe(4)
          yield* eventually(unpublished(events), (n) => n === 0)
        }))
        // The process is gone, and the transport's memory with it; its rows say "published".
        const after = yield* InProcessTransport.make()
        yield* after.ensureGroup("check")
        yield* Relay.make({ pollInterval: "20 millis" }).pipe(Effect.provideService(EventTransport, after))
        const again = yield* collect(after, "check", events)
        expect(again).toHaveLength(4)
        expectInOrder(versionsByAggregate(again), 2)
      }))

    it.scoped("an unreadable row stays behind with the rest of its aggregate; other aggregates flow", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const [[bad, after], [other]] = [history(aggregates(1), 2)[0]!, history(aggregates(1), 1)[0]!]
        yield* Effect.flatMap(OutboxRepository, (outbox) => outbox.append([bad!, after!, other!]))
        // As if written by a newer release that knows an event type this one does not.
        yield* sql`UPDATE outbox SET type = 'task.archived.v9' WHERE id = ${bad!.id}`
        const before = (yield* Metric.value(outboxUndecodable)).count
        const transport = yield* InProcessTransport.make()
        yield* transport.ensureGroup("check")
        yield* Relay.make({ pollInterval: "20 millis" }).pipe(Effect.provideService(EventTransport, transport))
        expect((yield* collect(transport, "check", [other!])).map((d) => d.envelope.id)).toEqual([other!.id])
        expect(yield* unpublished([bad!, after!])).toBe(2)
        expect((yield* Metric.value(outboxUndecodable)).count).toBeGreaterThan(before)
        // Repaired by an operator: the aggregate flows again, in order.
        yield* sql`UPDATE outbox SET type = 'task.updated.v1' WHERE id = ${bad!.id}`
        expect((yield* collect(transport, "check", [bad!, after!])).map((d) => d.envelope.id)).toEqual([bad!.id, after!.id])
      }))
  })
})
