import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"

const rules = readFileSync(new URL("../../../deploy/prometheus/flowboard-alerts.yml", import.meta.url), "utf8")
const monitoring = readFileSync(new URL("../../../docs/monitoring.md", import.meta.url), "utf8")

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  [...monitoring.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-"))
)
const alerts = [...rules.matchAll(/- alert: (\w+)\n\s+expr: (.+)\n[\s\S]*?runbook_url: docs\/monitoring\.md#(\S+)/g)].map(
  ([, name, expr, anchor]) => ({ name: name!, expr: expr!, anchor: anchor! })
)
/** Metric families docs/monitoring.md documents (first column of its tables). */
const documented = new Set([...monitoring.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!))
const family = (sample: string) => sample.replace(/_(bucket|count|sum)$/, "")

describe("the Prometheus alert rules in deploy/", () => {
  it("each alert links a runbook section that exists, and uses only documented metrics", () => {
    expect(alerts.map((a) => a.name)).toEqual(expect.arrayContaining(["FlowboardHighErrorRate", "FlowboardConsumerLag", "FlowboardDeadLetters", "FlowboardOutboxBacklog"]))
    expect(alerts).toHaveLength(rules.match(/- alert:/g)!.length)
    const problems = alerts.flatMap((alert) => [
      ...(anchors.has(alert.anchor) ? [] : [`${alert.name}: no section #${alert.anchor}`]),
      ...[...alert.expr.matchAll(/\b([a-z]+_[a-z_]+)(?=[{[\s)]|$)/g)]
        .map((m) => m[1]!)
        .filter((name) => !["by", "sum", "max", "rate", "histogram_quantile"].includes(name) && !documented.has(family(name)))
        .map((name) => `${alert.name}: ${name} is not documented`)
    ])
    expect(problems).toEqual([])
  })
})
