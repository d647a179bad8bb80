import type { SqlClient } from "@effect/sql"
import type { HttpClient } from "@effect/platform"
import { Effect, FastCheck as fc, Runtime } from "effect"
import { operations } from "./Contract.js"
import { describeOutcome, type DigestState, exercise, type Outcome } from "./Exercise.js"
import { documentJudge, duplicateIds } from "./OpenApiDocument.js"
import { type Plan, plans } from "./Plans.js"
import { sendRaw } from "./Wire.js"
import { digest, World } from "./World.js"

/**
 * The property over the whole API: for every generated plan, no 5xx, a status and body the
 * contract and the document declare, and a refusal that changed nothing. Shared by the bounded
 * run in `npm test` and the long one (`npm run test:fuzz`).
 */
export interface FuzzOptions {
  readonly numRuns: number
  readonly seed: number
  /**
   * Go on past violations and group them into classes (kind, status, mutation), one example
   * each, instead of stopping at the first and shrinking it: for surveying an API that does not
   * pass yet.
   */
  readonly survey?: boolean
  /** Stop generating after this long (what has run is reported; the run is not failed for it). */
  readonly timeLimitMs?: number
}

export interface ViolationClass {
  readonly count: number
  readonly operations: ReadonlySet<string>
  /** The shortest request that showed it, with its reply. */
  readonly example: string
}

export interface Stats {
  requests: number
  readonly byStatus: Map<number, number>
  readonly byOperation: Map<string, number>
  readonly byMutation: Map<string, number>
  readonly classes: Map<string, ViolationClass>
}

export interface FuzzResult {
  readonly stats: Stats
  /** fast-check's report of the first failure (shrunk), or in a survey the classes found. */
  readonly failure: string | undefined
  /** Defects of the served document found before any request (e.g. duplicate `$id`s). */
  readonly documentDefects: ReadonlyArray<string>
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1)

const record = (stats: Stats, plan: Plan, outcome: Outcome) => {
  stats.requests += 1
  bump(stats.byStatus, outcome.reply?.status ?? 0)
  bump(stats.byOperation, plan.operation)
  for (const label of plan.mutation.split("+")) bump(stats.byMutation, label)
  const example = describeOutcome(outcome)
  for (const v of outcome.violations) {
    const key = `${v.kind} | ${outcome.reply?.status ?? "-"} | ${plan.mutation}`
    const known = stats.classes.get(key)
    stats.classes.set(key, {
      count: (known?.count ?? 0) + 1,
      operations: new Set([...(known?.operations ?? []), plan.operation]),
      example: known === undefined || example.length < known.example.length ? example : known.example
    })
  }
}

export const describeClasses = (stats: Stats): string =>
  [...stats.classes]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, c]) => `### ${key} — ${c.count}× in ${[...c.operations].sort().join(", ")}\n${c.example}`)
    .join("\n\n")

const counts = <K>(map: ReadonlyMap<K, number>) =>
  [...map]
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${String(k)}: ${n}`)
    .join(", ")

export const describeStats = (stats: Stats, seed: number): string =>
  [
    `seed ${seed}: ${stats.requests} requests over ${stats.byOperation.size} of ${operations().length} operations`,
    `by status: ${counts(stats.byStatus)}`,
    `by mutation: ${counts(stats.byMutation)}`,
    `violation classes: ${stats.classes.size}`
  ].join("\n")

export const runFuzz = (options: FuzzOptions) =>
  Effect.gen(function* () {
    const world = yield* World
    const runtime = yield* Effect.runtime<World | SqlClient.SqlClient | HttpClient.HttpClient>()
    const served = yield* sendRaw({ method: "GET", target: "/api/openapi.json", headers: {}, body: undefined })
    const document: unknown = JSON.parse(served.text)
    const judge = documentJudge(document)
    const state: DigestState = { current: yield* digest(world.tables), pools: undefined }
    const stats: Stats = { requests: 0, byStatus: new Map(), byOperation: new Map(), byMutation: new Map(), classes: new Map() }
    const run = Runtime.runPromise(runtime)
    const property = fc.asyncProperty(plans(), async (plan) => {
      const outcome = await run(exercise(judge, state, plan))
      record(stats, plan, outcome)
      if (options.survey !== true && outcome.violations.length > 0) throw new Error(describeOutcome(outcome))
    })
    const details = yield* Effect.promise(() =>
      fc.check(property, {
        numRuns: options.numRuns,
        seed: options.seed,
        ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false })
      })
    )
    // In a survey the property fails only when the run itself broke (a harness bug): report that too.
    const report = details.failed ? fc.defaultReportMessage(details) : undefined
    const failure = options.survey === true && stats.classes.size > 0 ? [report, describeClasses(stats)].filter((s) => s !== undefined).join("\n\n") : report
    return { stats, failure, documentDefects: duplicateIds(document) } satisfies FuzzResult
  })
