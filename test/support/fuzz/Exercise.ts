import { Duration, Effect, Option } from "effect"
import type { Body } from "./Bodies.js"
import type { Operation } from "./Contract.js"
import { Raw, type Ref, type Resolved, stringify } from "./Json.js"
import type { DocumentJudge } from "./OpenApiDocument.js"
import { operationOf, type Plan } from "./Plans.js"
import { type Violation, verdict } from "./Verdict.js"
import { describeReply, describeRequest, type RawReply, type RawRequest, sendRaw } from "./Wire.js"
import { changedTables, deepEnough, type Digest, digest, digestKey, loadPools, type Pools, type Row, World, type WorldShape } from "./World.js"

/**
 * One property run: the plan made concrete against the rows as they are now, sent, and judged.
 * The digest taken after each request is the next one's "before": nothing else writes in
 * between (the stack runs no relay and no job runner).
 */
export interface Outcome {
  readonly operation: Operation
  readonly request: RawRequest
  readonly reply: RawReply | undefined
  readonly violations: ReadonlyArray<Violation>
}

/** The database as of the last request, and the ids it held then (read again only when it changed). */
export interface DigestState {
  current: Digest
  pools: { readonly key: string; readonly pools: Pools } | undefined
}

const poolsNow = (state: DigestState) =>
  Effect.gen(function* () {
    const key = digestKey(state.current)
    if (state.pools?.key === key) return state.pools.pools
    const pools = yield* loadPools
    state.pools = { key, pools }
    return pools
  })

const ANSWER_WITHIN = Duration.seconds(30)

/** An id no row has, derived from the index so that the same plan names the same id. */
const absentId = (index: number) => `00000000-0000-7000-8000-${(index % 2 ** 48).toString(16).padStart(12, "0")}`

interface Context {
  readonly user: string | undefined
  /** The caller's projects: a project or task with no context yet is one of them when there are any. */
  readonly mine: ReadonlySet<string | null>
  project: string | undefined
  task: string | undefined
}

const nearRows = (kind: Ref["kind"], rows: ReadonlyArray<Row>, context: Context): ReadonlyArray<Row> => {
  if (kind === "comment" || kind === "attachment") return rows.filter((row) => row.parent === context.task)
  if (kind === "key") return rows.filter((row) => row.parent === context.user)
  if (kind === "project" && context.project === undefined) return rows.filter((row) => context.mine.has(row.id))
  if (kind === "column" || kind === "task" || kind === "member") {
    return context.project === undefined ? rows.filter((row) => context.mine.has(row.parent)) : rows.filter((row) => row.parent === context.project)
  }
  return []
}

/** The version of the task named so far, else of the project: what a request that is to succeed carries. */
const versionOf = (pools: Pools, context: Context, index: number): number => {
  const [kind, id] = context.task !== undefined ? (["task", context.task] as const) : (["project", context.project] as const)
  return (pools.get(kind) ?? []).find((row) => row.id === id)?.version ?? 1 + (index % 3)
}

const resolveRef = (world: WorldShape, pools: Pools, context: Context, ref: Ref): Resolved => {
  if (ref.kind === "version") return versionOf(pools, context, ref.index)
  const rows = (pools.get(ref.kind) ?? []).filter((row) => ref.kind !== "key" || !world.callerKeys.has(row.id))
  const near = nearRows(ref.kind, rows, context)
  const candidates = near.length > 0 ? near : rows
  const row = candidates[ref.index % Math.max(1, candidates.length)]
  if (row === undefined) return absentId(ref.index)
  if (ref.kind === "project") context.project = row.id
  if (ref.kind === "task") {
    context.task = row.id
    context.project = row.parent ?? context.project
  }
  return row.id
}

const withoutBearer = (authorization: string) => authorization.replace(/^Bearer /, "")

/** What fetch refuses in a header value (CR, LF, NUL, beyond Latin-1): no client can send it, so neither do we. */
const sendable = (value: string) => value.replace(/[\r\n\0]|[^\u0000-\u00ff]/g, "?")

const bodyParts = (body: Body, ref: (r: Ref) => Resolved): { readonly body: string | Uint8Array | undefined; readonly contentType: string | null } => {
  switch (body._tag) {
    case "None":
      return { body: undefined, contentType: null }
    case "Json":
      return { body: stringify(body.value, ref), contentType: body.contentType }
    case "Text":
      return { body: body.text.text, contentType: body.contentType }
    case "Bytes":
      return { body: Uint8Array.from(body.bytes), contentType: body.contentType }
  }
}

/** The request a plan makes, ids resolved against `pools`. */
export const concrete = (world: WorldShape, pools: Pools, op: Operation, plan: Plan): RawRequest => {
  const user = world.users[plan.caller]
  const mine = new Set((pools.get("member") ?? []).filter((m) => m.id === user).map((m) => m.parent))
  const context: Context = { user, mine, project: undefined, task: undefined }
  const ref = (r: Ref) => resolveRef(world, pools, context, r)
  const pathValue = (name: string) => {
    const value = plan.path[name]
    return value === undefined ? "" : value instanceof Raw ? value.text : String(ref(value))
  }
  const path = op.path.replace(/:(\w+)/g, (_, name: string) => pathValue(name))
  const authorization = world.authorization[plan.caller]
  const query = [
    ...plan.query.map(([k, v]) => (v instanceof Raw ? `${encodeURIComponent(k)}=${v.text}` : new URLSearchParams([[k, v]]).toString())),
    ...(plan.tokenInQuery && authorization !== undefined ? [`access_token=${encodeURIComponent(withoutBearer(authorization))}`] : [])
  ]
  const headers: Record<string, string> = {}
  if (authorization !== undefined && !plan.tokenInQuery) headers["authorization"] = authorization
  for (const [name, value] of Object.entries(plan.headers)) headers[name] = sendable(typeof value === "string" ? value : String(ref(value)))
  const { body, contentType } = bodyParts(plan.body, ref)
  if (contentType !== null) headers["content-type"] = contentType
  return { method: plan.method, target: query.length === 0 ? path : `${path}?${query.join("&")}`, headers, body }
}

export const exercise = (judge: DocumentJudge, state: DigestState, plan: Plan) =>
  Effect.gen(function* () {
    const world = yield* World
    const operation = operationOf(plan)
    if (!deepEnough(world, yield* poolsNow(state))) {
      yield* world.replenish
      state.current = yield* digest(world.tables)
    }
    const request = concrete(world, yield* poolsNow(state), operation, plan)
    const before = state.current
    const answered = yield* Effect.timeoutOption(sendRaw(request), ANSWER_WITHIN)
    const after = yield* digest(world.tables)
    state.current = after
    if (Option.isNone(answered)) {
      return { operation, request, reply: undefined, violations: [{ kind: "no answer", detail: `within ${Duration.format(ANSWER_WITHIN)}` }] } satisfies Outcome
    }
    const reply = answered.value
    const violations = [...verdict(operation, plan, judge, reply)]
    if (reply.status >= 400) {
      const changed = changedTables(before, after)
      if (changed.length > 0) violations.push({ kind: "refusal changed the database", detail: changed.join(", ") })
    }
    return { operation, request, reply, violations } satisfies Outcome
  })

/** What a developer needs to see again: the broken rules, the request, the reply. */
export const describeOutcome = (outcome: Outcome): string =>
  [
    ...outcome.violations.map((v) => `${v.kind}: ${v.detail}`),
    `operation: ${outcome.operation.key} (${outcome.operation.method} ${outcome.operation.path})`,
    "request:",
    describeRequest(outcome.request),
    "reply:",
    outcome.reply === undefined ? "(none)" : describeReply(outcome.reply)
  ].join("\n")
