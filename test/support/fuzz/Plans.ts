import type { HttpMethod } from "@effect/platform/HttpMethod"
import { FastCheck as fc, Option } from "effect"
import { type Body, bodyArb, type BodyChoice } from "./Bodies.js"
import { methodsByPath, type Operation, operations } from "./Contract.js"
import { Raw, Ref, type RefKind } from "./Json.js"
import { headersArb, queryArb, type QueryValue } from "./Parameters.js"

/**
 * What one property run sends: an operation of the contract, a caller, and each part of the
 * request (path ids, query, headers, body), valid as generated from the operation's schemas
 * and then, most of the time, broken in one way that `mutation` names. Ids of existing rows
 * are `Ref`s, resolved when the request is sent.
 */
export type Caller =
  | "owner"
  | "ownerReadOnly"
  | "admin"
  | "editor"
  | "viewer"
  | "outsider"
  | "anonymous"
  | "revokedKey"
  | "unknownKey"
  | "malformedKey"
  | "basicAuth"

/** A path segment: an existing row's id, or text put in the path as it is (already percent-encoded). */
export type PathValue = Ref | Raw

export interface Plan {
  readonly operation: string
  readonly method: HttpMethod
  readonly caller: Caller
  /** The key as `?access_token=` instead of the header (the live stream accepts it). */
  readonly tokenInQuery: boolean
  readonly path: Readonly<Record<string, PathValue>>
  readonly query: ReadonlyArray<readonly [string, QueryValue]>
  readonly headers: Readonly<Record<string, string | Ref>>
  readonly body: Body
  /** How the request was broken (`valid` when it was not): the counts and failure classes group by it. */
  readonly mutation: string
}

const uuid = fc.uuid()

// ---- path ------------------------------------------------------------------------------------

const PARAM_KINDS: Readonly<Record<string, RefKind>> = {
  projectId: "project",
  taskId: "task",
  columnId: "column",
  commentId: "comment",
  attachmentId: "attachment",
  userId: "user",
  keyId: "key",
  jobId: "job",
  deadLetterId: "deadLetter"
}

const BAD_IDS: ReadonlyArray<string> = [
  "not-a-uuid",
  "0",
  "-1",
  "1e309",
  "null",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "%00",
  "0192b7c4-2f3e-7000-8000-00000000000%00",
  "%ED%A0%80",
  "%ZZ",
  "%",
  "a%2Fb",
  "%20",
  "%F0%9F%98%80",
  "0192B7C4-2F3E-7000-8000-000000000000",
  "{0192b7c4-2f3e-7000-8000-000000000000}",
  "0192b7c42f3e70008000000000000000",
  "0192b7c4-2f3e-7000-8000-000000000000x",
  "%27%3B%20DROP%20TABLE%20tasks%3B%20--",
  "x".repeat(300),
  "x".repeat(10_000)
]

/** An existing row's id most of the time, else an unknown UUID; when the path is what is broken, a bad id half of the time. */
const pathValue = (op: Operation, param: string, broken: boolean): fc.Arbitrary<readonly [PathValue, boolean]> => {
  const kind: RefKind = param === "userId" && op.path.includes("/members/") ? "member" : PARAM_KINDS[param] ?? "project"
  const good = fc.oneof(
    { weight: 8, arbitrary: fc.nat().map((i) => [new Ref(kind, i), false] as const) },
    { weight: 1, arbitrary: uuid.map((u) => [new Raw(u), false] as const) }
  )
  const bad = fc.constantFrom(...BAD_IDS).map((s) => [new Raw(s), true] as const)
  return broken ? fc.oneof(good, bad) : good
}

// ---- the plan ------------------------------------------------------------------------------------

const CALLERS = fc.oneof(
  { weight: 24, arbitrary: fc.constant<Caller>("owner") },
  { weight: 3, arbitrary: fc.constant<Caller>("ownerReadOnly") },
  { weight: 6, arbitrary: fc.constant<Caller>("admin") },
  { weight: 4, arbitrary: fc.constant<Caller>("editor") },
  { weight: 3, arbitrary: fc.constant<Caller>("viewer") },
  { weight: 3, arbitrary: fc.constant<Caller>("outsider") },
  { weight: 2, arbitrary: fc.constant<Caller>("anonymous") },
  { weight: 1, arbitrary: fc.constant<Caller>("revokedKey") },
  { weight: 1, arbitrary: fc.constant<Caller>("unknownKey") },
  { weight: 1, arbitrary: fc.constant<Caller>("malformedKey") },
  { weight: 1, arbitrary: fc.constant<Caller>("basicAuth") }
)

const METHODS: ReadonlyArray<HttpMethod> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

/** The one part of a request that is broken, if any: one at a time, so that a failure names its cause. */
type Focus = "none" | "method" | "path" | "query" | "header" | "body"

const focusFor = (op: Operation, otherMethods: ReadonlyArray<HttpMethod>): fc.Arbitrary<Focus> => {
  const parts: Array<{ readonly weight: number; readonly arbitrary: fc.Arbitrary<Focus> }> = [
    { weight: 4, arbitrary: fc.constant("none") },
    { weight: Option.isSome(op.payload) ? 10 : 1, arbitrary: fc.constant("body") }
  ]
  if (otherMethods.length > 0) parts.push({ weight: 1, arbitrary: fc.constant("method") })
  if (op.params.length > 0) parts.push({ weight: 2, arbitrary: fc.constant("path") })
  if (Option.isSome(op.urlParams)) parts.push({ weight: 3, arbitrary: fc.constant("query") })
  parts.push({ weight: 1, arbitrary: fc.constant("header") })
  return fc.oneof(...parts)
}

const planFor = (op: Operation): fc.Arbitrary<Plan> => {
  const otherMethods = METHODS.filter((m) => !(methodsByPath().get(op.path) ?? []).includes(m))
  return focusFor(op, otherMethods).chain((focus) =>
    fc
      .record({
        caller: CALLERS,
        tokenInQuery: op.tokenInQuery ? fc.boolean() : fc.constant(false),
        path: fc.tuple(...op.params.map((p) => pathValue(op, p, focus === "path"))),
        query: queryArb(op, focus === "query"),
        headers: headersArb(op, focus === "header"),
        body: bodyArb(op, focus === "body"),
        method: focus === "method" ? fc.constantFrom(...otherMethods) : fc.constant(op.method)
      })
      .map(({ body: generated, caller, headers, method, path, query, tokenInQuery }) => {
        // fetch, and so the in-memory transport, cannot send a GET with a body.
        const body: BodyChoice = method === "GET" ? { body: { _tag: "None" }, label: undefined } : generated
        const labels = [
          ...(method === op.method ? [] : ["method:wrong"]),
          ...(path.some(([, bad]) => bad) ? ["path:badId"] : []),
          ...(query[1] === undefined ? [] : [query[1]]),
          ...(headers[1] === undefined ? [] : [headers[1]]),
          ...(body.label === undefined ? [] : [`body:${body.label}`])
        ]
        return {
          operation: op.key,
          method,
          caller,
          tokenInQuery,
          path: Object.fromEntries(op.params.map((p, i) => [p, path[i]![0]])),
          query: query[0],
          headers: headers[0],
          body: body.body,
          mutation: labels.length === 0 ? "valid" : labels.join("+")
        } satisfies Plan
      })
  )
}

/** A plan for any operation of the contract. */
export const plans = (): fc.Arbitrary<Plan> => fc.constantFrom(...operations()).chain(planFor)

export const operationOf = (plan: Plan): Operation => {
  const op = operations().find((o) => o.key === plan.operation)
  if (op === undefined) throw new Error(`no operation ${plan.operation}`)
  return op
}
