/** The relay on PGlite: no LISTEN there, so polling alone must move every event. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { EventTransport } from "../../../src/events/EventTransport.js"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import * as Relay from "../../../src/events/Relay.js"
import { SqlOutboxRepositoryLive } from "../../../src/repositories/sql/SqlOutboxRepository.js"
import { PgliteTest } from "../../support/Database.js"
import { aggregates, collect, distinct, eventually, expectInOrder, history, produce, unpublished, versionsByAggregate } from "./RelaySupport.js"

describe("Relay on PGlite", () => {
  it.scopedLive("polling relays every event once, in order per aggregate, and marks it published", () =>
    Effect.gen(function* () {
      const env = yield* Layer.build(SqlOutboxRepositoryLive.pipe(Layer.provideMerge(PgliteTest)))
      const transport = yield* InProcessTransport.make()
      yield* transport.ensureGroup("check")
      yield* Relay.make({ pollInterval: "20 millis", batchSize: 16 }).pipe(Effect.provide(env), Effect.provideService(EventTransport, transport))
      const histories = history(aggregates(6), 8)
      yield* produce(histories, 3).pipe(Effect.provide(env))
      const received = yield* collect(transport, "check", histories.flat())
      expect(received).toHaveLength(48)
      expect(distinct(received)).toBe(48)
      expectInOrder(versionsByAggregate(received), 8)
      // Published before the commit that marks the rows: wait for that commit.
      expect(yield* eventually(unpublished(histories.flat()).pipe(Effect.provide(env)), (n) => n === 0)).toBe(0)
    }))
})
