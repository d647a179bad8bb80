/** Printing the rounds: medians with their ranges, ratios against a peer, targets met or not. */
import type { Round } from "./Load.js"

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "—")

/** `median (min–max)` of one figure over rounds. */
const spread = (values: ReadonlyArray<number>, digits: number): string => {
  if (values.length <= 1) return fixed(values[0] ?? Number.NaN, digits)
  return `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`
}

const pad = (text: string, width: number) => text.padEnd(width)

export const summaryHeader = () =>
  `  ${pad("server", 20)}${pad("req/s med (min–max)", 26)}${pad("p50 ms", 8)}${pad("p99 ms", 18)}${pad("non-2xx", 9)}${pad("errors", 8)}${pad("CPU ms/req med (min–max)", 28)}${pad("CPU %", 7)}RSS MiB`

export const summaryLine = (server: string, rounds: ReadonlyArray<Round>): string =>
  `  ${pad(server, 20)}${pad(spread(rounds.map((r) => r.rps), 0), 26)}${pad(fixed(median(rounds.map((r) => r.p50)), 0), 8)}` +
  `${pad(spread(rounds.map((r) => r.p99), 0), 18)}${pad(String(rounds.reduce((n, r) => n + r.non2xx, 0)), 9)}` +
  `${pad(String(rounds.reduce((n, r) => n + r.errors, 0)), 8)}${pad(spread(rounds.map((r) => r.cpuMsPerRequest), 3), 28)}` +
  `${pad(fixed(median(rounds.map((r) => r.cpuShare * 100)), 0), 7)}${fixed(Math.max(...rounds.map((r) => r.rssMiB)), 0)}`

export const roundLine = (index: number, round: Round): string =>
  `    round ${index + 1} ${pad(round.server, 18)}${fixed(round.rps, 0).padStart(7)} req/s  p50 ${fixed(round.p50, 0).padStart(4)} ms  p99 ${fixed(round.p99, 0).padStart(5)} ms  ` +
  `${String(round.non2xx + round.errors).padStart(3)} non-2xx/errors  ${fixed(round.cpuMsPerRequest, 3)} ms CPU/req  RSS ${fixed(round.rssMiB, 0)} MiB`

/** Flowboard over the peer, round by round (the rounds were interleaved, so pairs saw the same machine). */
export const ratioLine = (label: string, ours: ReadonlyArray<Round>, peer: ReadonlyArray<Round>): string => {
  const pairs = ours.map((round, i) => [round, peer[i]] as const).flatMap(([a, b]) => (b === undefined ? [] : [[a, b] as const]))
  const throughput = pairs.map(([a, b]) => a.rps / b.rps)
  const cost = pairs.map(([a, b]) => a.cpuMsPerRequest / b.cpuMsPerRequest)
  return `  Flowboard / ${label}: req/s ${spread(throughput, 3)}×; CPU per request ${spread(cost, 1)}× the peer's`
}

export type Verdict = "met" | "not met" | "partly met"

export const verdictLine = (target: string, verdict: Verdict, measured: string): string =>
  `  target ${target}: ${verdict.toUpperCase()} (${measured})`
