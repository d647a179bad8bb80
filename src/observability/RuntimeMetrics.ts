/**
 * Process metrics: memory, CPU time and event-loop delay, sampled every few seconds by a fiber
 * in this layer's scope (the gauges are then at most one interval old at a scrape, and the
 * dashboard reading the registry sees them too).
 *
 * Event-loop delay comes from `perf_hooks.monitorEventLoopDelay` (a libuv timer sampling every
 * 20 ms); each sample publishes p50, p99 and max over the interval since the previous one and
 * starts a new interval, so a stall shows up once, at its size, instead of being averaged away.
 */
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import {
  eventLoopDelayMax,
  eventLoopDelayP50,
  eventLoopDelayP99,
  processCpuSeconds,
  processExternalMemory,
  processHeapTotal,
  processHeapUsed,
  processResidentMemory,
  processStartTime
} from "./Metrics.js"

export const SAMPLE_INTERVAL = Duration.seconds(5)

const NANOS_PER_SECOND = 1e9

export interface EventLoopMonitor {
  readonly percentile: (p: number) => number
  readonly max: number
  readonly count: number
  readonly reset: () => void
}

/** Reads the process once: memory, CPU since the last sample, and the event loop's interval. */
export const makeSampler = (loop: EventLoopMonitor) => {
  let cpuMicros = 0
  return Effect.gen(function* () {
    const memory = process.memoryUsage()
    yield* Metric.set(processResidentMemory, memory.rss)
    yield* Metric.set(processHeapUsed, memory.heapUsed)
    yield* Metric.set(processHeapTotal, memory.heapTotal)
    yield* Metric.set(processExternalMemory, memory.external)
    const cpu = process.cpuUsage()
    const total = cpu.user + cpu.system
    // A counter only goes up: add what was spent since the last sample.
    yield* Metric.incrementBy(processCpuSeconds, (total - cpuMicros) / 1e6)
    cpuMicros = total
    if (loop.count > 0) {
      yield* Metric.set(eventLoopDelayP50, loop.percentile(50) / NANOS_PER_SECOND)
      yield* Metric.set(eventLoopDelayP99, loop.percentile(99) / NANOS_PER_SECOND)
      yield* Metric.set(eventLoopDelayMax, loop.max / NANOS_PER_SECOND)
    }
    loop.reset()
  })
}

/** Samples at start and every `SAMPLE_INTERVAL` while the application runs. */
export const RuntimeMetricsLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const loop = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const histogram = monitorEventLoopDelay({ resolution: 20 })
        histogram.enable()
        return histogram
      }),
      (histogram) => Effect.sync(() => histogram.disable())
    )
    yield* Metric.set(processStartTime, Math.floor((Date.now() - process.uptime() * 1000) / 1000))
    const sample = makeSampler(loop).pipe(Effect.catchAllDefect((defect) => Effect.logWarning("runtime metrics sample failed", defect)))
    yield* Effect.forkScoped(Effect.repeat(sample, Schedule.spaced(SAMPLE_INTERVAL)))
  })
)
