/**
 * Prometheus text exposition format 0.0.4 over Effect's metric registry. Generic: any metric
 * anyone defines with `Metric.*` is rendered, whatever its module, so a counter added by
 * another feature appears at `/metrics` without touching this file.
 *
 * Effect → Prometheus: counter → `counter`, gauge → `gauge`, histogram → `histogram`
 * (cumulative `_bucket{le}`, `_sum`, `_count`), summary → `summary` (`{quantile}`, `_sum`,
 * `_count`), frequency → `counter` with one series per observed value (label `value`).
 * Names are rendered as defined: name counters `*_total` and timings `*_seconds`.
 */
import { type MetricKey, MetricKeyType, type MetricPair, MetricState, Option } from "effect"

type Labels = ReadonlyArray<readonly [string, string]>

interface Family {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: string
  readonly lines: Array<string>
}

const sanitizeName = (name: string) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`
}
const sanitizeLabel = (name: string) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_")
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`
}
const escapeLabelValue = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** Go's `strconv.FormatFloat` spelling, which is what Prometheus parses. */
export const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return value.toString()
}

const sample = (name: string, labels: Labels, value: number | bigint) => {
  const rendered = labels.map(([k, v]) => `${sanitizeLabel(k)}="${escapeLabelValue(v)}"`).join(",")
  return `${name}${rendered === "" ? "" : `{${rendered}}`} ${formatValue(value)}`
}

/**
 * A Prometheus counter never goes down. An Effect counter can, unless it is `incremental`: one
 * that is neither incremental nor named `*_total` (Effect's own `effect_fiber_active`) is
 * rendered as the gauge it behaves like.
 */
const typeOf = (key: MetricKey.MetricKey.Untyped): Family["type"] | undefined =>
  MetricKeyType.isFrequencyKey(key.keyType)
    ? "counter"
    : MetricKeyType.isCounterKey(key.keyType)
    ? key.keyType.incremental || key.name.endsWith("_total") ? "counter" : "gauge"
    : MetricKeyType.isGaugeKey(key.keyType)
      ? "gauge"
      : MetricKeyType.isHistogramKey(key.keyType)
        ? "histogram"
        : MetricKeyType.isSummaryKey(key.keyType)
          ? "summary"
          : undefined

const samplesOf = (name: string, labels: Labels, state: MetricState.MetricState.Untyped): ReadonlyArray<string> => {
  if (MetricState.isCounterState(state)) return [sample(name, labels, state.count)]
  if (MetricState.isGaugeState(state)) return [sample(name, labels, state.value)]
  if (MetricState.isFrequencyState(state)) {
    return [...state.occurrences].map(([value, count]) => sample(name, [...labels, ["value", value]], count))
  }
  if (MetricState.isHistogramState(state)) {
    const buckets = state.buckets.map(([le, count]) => sample(`${name}_bucket`, [...labels, ["le", formatValue(le)]], count))
    // Effect's boundaries always end at +Inf; guard anyway, Prometheus requires the bucket.
    const last = state.buckets[state.buckets.length - 1]
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) {
      buckets.push(sample(`${name}_bucket`, [...labels, ["le", "+Inf"]], state.count))
    }
    return [...buckets, sample(`${name}_sum`, labels, state.sum), sample(`${name}_count`, labels, state.count)]
  }
  if (MetricState.isSummaryState(state)) {
    const quantiles = state.quantiles.flatMap(([q, value]) =>
      Option.isSome(value) ? [sample(name, [...labels, ["quantile", formatValue(q)]], value.value)] : []
    )
    return [...quantiles, sample(`${name}_sum`, labels, state.sum), sample(`${name}_count`, labels, state.count)]
  }
  return []
}

/** Renders a registry snapshot: families sorted by name, series by labels, one `# HELP`/`# TYPE` each. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const { metricKey, metricState } of pairs) {
    const type = typeOf(metricKey)
    if (type === undefined) continue
    const name = sanitizeName(metricKey.name)
    let family = families.get(name)
    if (family === undefined) {
      family = { name, type, help: Option.getOrElse(metricKey.description, () => name), lines: [] }
      families.set(name, family)
    } else if (family.type !== type) {
      continue // one name, two kinds of metric: Prometheus would reject the scrape, keep the first
    }
    const labels: Labels = [...metricKey.tags]
      .map((tag): readonly [string, string] => [tag.key, tag.value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    family.lines.push(...samplesOf(name, labels, metricState))
  }
  const out: Array<string> = []
  for (const family of [...families.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (family.lines.length === 0) continue
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`, ...family.lines)
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}
