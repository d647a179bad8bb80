/**
 * A strict reader of the Prometheus text format (0.0.4), for tests: it throws on anything a
 * Prometheus server would reject (bad names, labels or values, samples before their `# TYPE`,
 * a family split in two, histogram buckets out of order or without `+Inf`).
 */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly type: string
  readonly help: string
  readonly samples: Array<Sample>
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"])

const parseValue = (text: string): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`)
  return Number(text)
}

const parseLabels = (text: string): Record<string, string> => {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest.trim() !== "") {
    const match = LABEL.exec(rest)
    if (match === null) throw new Error(`bad labels {${text}}`)
    const [all, name, raw] = match
    if (name! in labels) throw new Error(`label ${name} twice in {${text}}`)
    labels[name!] = raw!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\")
    rest = rest.slice(all.length)
  }
  return labels
}

const familyOf = (sample: string, families: Map<string, Family>): Family | undefined =>
  families.get(sample) ??
  [...families.values()].find((f) => (f.type === "histogram" || f.type === "summary") && [`${f.name}_sum`, `${f.name}_count`, `${f.name}_bucket`].includes(sample))

export const parsePrometheus = (text: string): Map<string, Family> => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("exposition must end with a newline")
  const families = new Map<string, Family>()
  let current: Family | undefined
  const closed = new Set<string>()
  for (const line of text.split("\n").filter((l) => l !== "")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name, rest] = meta
      if (!NAME.test(name!)) throw new Error(`bad metric name ${name}`)
      if (closed.has(name!)) throw new Error(`family ${name} appears twice`)
      if (current !== undefined && current.name !== name) closed.add(current.name)
      const family = families.get(name!) ?? { name: name!, type: "untyped", help: "", samples: [] }
      if (kind === "TYPE") {
        if (!TYPES.has(rest!)) throw new Error(`bad type ${rest}`)
        if (family.samples.length > 0) throw new Error(`TYPE after samples for ${name}`)
        families.set(name!, { ...family, type: rest! })
      } else families.set(name!, { ...family, help: rest! })
      current = families.get(name!)
      continue
    }
    if (line.startsWith("#")) continue
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (sample === null) throw new Error(`bad sample line: ${line}`)
    const [, name, labels, value] = sample
    const family = familyOf(name!, families)
    if (family === undefined || family !== current) throw new Error(`sample ${name} outside its family block`)
    family.samples.push({ name: name!, labels: parseLabels(labels ?? ""), value: parseValue(value!) })
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family)
  return families
}

const seriesKey = (labels: Readonly<Record<string, string>>) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort())

/** Buckets cumulative and ending in `+Inf`, whose count equals `_count`, for each series. */
const checkHistogram = (family: Family) => {
  const series = new Map<string, Array<Sample>>()
  for (const s of family.samples.filter((s) => s.name === `${family.name}_bucket`)) {
    if (s.labels["le"] === undefined) throw new Error(`${family.name}_bucket without le`)
    series.set(seriesKey(s.labels), [...(series.get(seriesKey(s.labels)) ?? []), s])
  }
  for (const [key, buckets] of series) {
    const bounds = buckets.map((b) => parseValue(b.labels["le"]!))
    if (bounds[bounds.length - 1] !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}${key}: no +Inf bucket`)
    buckets.forEach((b, i) => {
      if (i > 0 && (bounds[i]! <= bounds[i - 1]! || b.value < buckets[i - 1]!.value)) throw new Error(`${family.name}${key}: buckets not cumulative`)
    })
    const count = family.samples.find((s) => s.name === `${family.name}_count` && seriesKey(s.labels) === key)
    const sum = family.samples.find((s) => s.name === `${family.name}_sum` && seriesKey(s.labels) === key)
    if (count === undefined || sum === undefined) throw new Error(`${family.name}${key}: no _count or _sum`)
    if (count.value !== buckets[buckets.length - 1]!.value) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`)
  }
}

/** The value of one series (labels matched exactly), or 0 when it has not been seen yet. */
export const valueOf = (families: Map<string, Family>, sample: string, labels: Record<string, string>): number => {
  const family = familyOf(sample, families)
  const wanted = JSON.stringify(Object.entries(labels).sort())
  return family?.samples.find((s) => s.name === sample && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value ?? 0
}
