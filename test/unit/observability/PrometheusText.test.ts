import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Metric, MetricBoundaries } from "effect"
import { render } from "../../../src/observability/PrometheusText.js"
import { parsePrometheus, valueOf } from "../../support/Prometheus.js"

// The registry is global and shared by the test files of a worker: names here are unique.
const requests = Metric.counter("promtest_requests_total", { description: "Requests\nseen \\ so far", incremental: true })
const temperature = Metric.gauge("promtest_temperature_celsius")
const latency = Metric.histogram("promtest_latency_seconds", MetricBoundaries.fromIterable([0.1, 0.5, 1]), "Latency")
const sizes = Metric.summary({ name: "promtest_size_bytes", maxAge: Duration.minutes(1), maxSize: 100, error: 0.01, quantiles: [0.5, 0.99] })
const kinds = Metric.frequency("promtest_kinds_total")
/** Goes up and down, like Effect's own `effect_fiber_active`. */
const active = Metric.counter("promtest_active")

const scrape = Effect.map(Metric.snapshot, (pairs) => {
  const text = render(pairs.filter((p) => p.metricKey.name.startsWith("promtest_")))
  return { text, families: parsePrometheus(text) }
})

describe("PrometheusText", () => {
  it.effect("renders counters, gauges, histograms, summaries and frequencies in a form Prometheus parses", () =>
    Effect.gen(function* () {
      yield* Metric.update(requests.pipe(Metric.tagged("route", '/a"b\\c')), 3)
      yield* Metric.set(temperature, -4.5)
      yield* Effect.forEach([0.05, 0.3, 0.3, 2], (v) => Metric.update(latency.pipe(Metric.tagged("method", "GET")), v))
      yield* Effect.forEach([10, 20, 30], (v) => Metric.update(sizes, v))
      yield* Metric.update(kinds, "task.created")
      yield* Metric.update(active, -1)
      const { families, text } = yield* scrape

      expect(families.get("promtest_requests_total")).toMatchObject({ type: "counter", help: "Requests\\nseen \\\\ so far" })
      expect(valueOf(families, "promtest_requests_total", { route: '/a"b\\c' })).toBe(3)
      expect(valueOf(families, "promtest_temperature_celsius", {})).toBe(-4.5)
      expect(families.get("promtest_latency_seconds")?.type).toBe("histogram")
      const bucket = (le: string) => valueOf(families, "promtest_latency_seconds_bucket", { method: "GET", le })
      expect([bucket("0.1"), bucket("0.5"), bucket("1"), bucket("+Inf")]).toEqual([1, 3, 3, 4])
      expect(valueOf(families, "promtest_latency_seconds_count", { method: "GET" })).toBe(4)
      expect(valueOf(families, "promtest_latency_seconds_sum", { method: "GET" })).toBeCloseTo(2.65)
      expect(families.get("promtest_size_bytes")?.type).toBe("summary")
      expect(valueOf(families, "promtest_size_bytes_count", {})).toBe(3)
      expect(valueOf(families, "promtest_kinds_total", { value: "task.created" })).toBe(1)
      expect(families.get("promtest_active")?.type).toBe("gauge")
      expect(valueOf(families, "promtest_active", {})).toBe(-1)
      // One HELP and one TYPE per family, even with several labelled series.
      expect(text.match(/^# TYPE promtest_latency_seconds /gm)).toHaveLength(1)
    }))

  it.effect("counts move between scrapes", () =>
    Effect.gen(function* () {
      const before = valueOf((yield* scrape).families, "promtest_requests_total", { route: "/moves" })
      yield* Metric.update(requests.pipe(Metric.tagged("route", "/moves")), 1)
      yield* Metric.update(requests.pipe(Metric.tagged("route", "/moves")), 1)
      expect(valueOf((yield* scrape).families, "promtest_requests_total", { route: "/moves" })).toBe(before + 2)
    }))

  it("is empty without metrics, and the reader rejects malformed text", () => {
    expect(render([])).toBe("")
    expect(() => parsePrometheus("x_total 1\n")).toThrow()
    expect(() => parsePrometheus("# TYPE x counter\nx{a=b} 1\n")).toThrow()
    expect(() => parsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n")).toThrow(/\+Inf/)
  })
})
