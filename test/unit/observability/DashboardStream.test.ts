import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Ref, Stream, TestClock } from "effect"
import { makeSnapshots } from "../../../src/http/dashboard/Stream.js"
import { Draining } from "../../../src/observability/Draining.js"
import { Health } from "../../../src/observability/Health.js"
import { idleSnapshot, PipelineStatus } from "../../../src/observability/PipelineStatus.js"
import { Readiness } from "../../../src/observability/Readiness.js"
import { RequestWindow } from "../../../src/observability/RequestWindow.js"

/** Health over an idle pipeline that counts how often it is read. */
const countedHealth = (readings: Ref.Ref<number>) =>
  Health.Default.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        RequestWindow.Default,
        Draining.Default,
        Layer.succeed(Readiness, { mode: "test", check: Effect.void }),
        Layer.succeed(PipelineStatus, { snapshot: Effect.as(Ref.update(readings, (n) => n + 1), { ...idleSnapshot, transport: "in-process" }) })
      )
    )
  )

const decoder = new TextDecoder()

describe("the dashboard's event stream", () => {
  it.scoped("viewers share one health reading a second instead of taking one each", () =>
    Effect.gen(function* () {
      const readings = yield* Ref.make(0)
      const viewers = yield* Effect.gen(function* () {
        const snapshots = yield* makeSnapshots
        // The retry hint, the history, then a snapshot now and one a second later.
        const watch = Stream.runCollect(Stream.take(snapshots.stream(Duration.minutes(1)), 4))
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(watch))
        for (let i = 0; i < 4; i++) yield* TestClock.adjust("500 millis")
        return yield* Effect.forEach(fibers, Fiber.join)
      }).pipe(Effect.provide(countedHealth(readings)))
      for (const events of viewers) {
        const snapshots = Chunk.toReadonlyArray(events).map((bytes) => decoder.decode(bytes)).filter((text) => text.startsWith("event: snapshot"))
        expect(snapshots).toHaveLength(2)
      }
      expect(yield* Ref.get(readings)).toBe(2)
    })
  )
})
