import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import {
  eventLoopDelayMax,
  eventLoopDelayP50,
  eventLoopDelayP99,
  processCpuSeconds,
  processHeapUsed,
  processResidentMemory,
  processStartTime
} from "../../../src/observability/Metrics.js"
import { makeSampler, RuntimeMetricsLive } from "../../../src/observability/RuntimeMetrics.js"

describe("RuntimeMetrics", () => {
  it.effect("publishes memory, CPU time and the event-loop delay of the interval, then starts a new interval", () =>
    Effect.gen(function* () {
      let resets = 0
      const loop = { percentile: (p: number) => p * 1_000_000, max: 250_000_000, count: 12, reset: () => void resets++ }
      const cpuBefore = (yield* Metric.value(processCpuSeconds)).count
      yield* makeSampler(loop)
      expect((yield* Metric.value(processResidentMemory)).value).toBeGreaterThan(0)
      expect((yield* Metric.value(processHeapUsed)).value).toBeGreaterThan(0)
      expect((yield* Metric.value(processCpuSeconds)).count).toBeGreaterThan(cpuBefore)
      expect((yield* Metric.value(eventLoopDelayP50)).value).toBe(0.05)
      expect((yield* Metric.value(eventLoopDelayP99)).value).toBe(0.099)
      expect((yield* Metric.value(eventLoopDelayMax)).value).toBe(0.25)
      expect(resets).toBe(1)
    }))

  it.effect("the layer records when the process started", () =>
    Effect.gen(function* () {
      yield* Effect.scoped(Layer.build(RuntimeMetricsLive))
      const start = (yield* Metric.value(processStartTime)).value
      expect(start).toBeGreaterThan(1_600_000_000)
      expect(start).toBeLessThanOrEqual(Date.now() / 1000)
    }))
})
