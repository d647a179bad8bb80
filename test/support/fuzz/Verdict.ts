import { Headers } from "@effect/platform"
import { Either, Option, ParseResult, Schema } from "effect"
import { type Reply, shapeProblems } from "../../e2e/Harness.js"
import { methodsByPath, type Operation, operations } from "./Contract.js"
import { type DocumentJudge, isJsonMediaType } from "./OpenApiDocument.js"
import type { Plan } from "./Plans.js"
import type { RawReply } from "./Wire.js"

/**
 * What is wrong with one reply, by the contract (`HttpApi`) and by the served document, kept
 * apart: a disagreement of the document alone is a documentation bug, one of the contract
 * alone a server bug the document happens to allow.
 */
export type ViolationKind =
  | "5xx"
  | "contract: undeclared status"
  | "contract: body does not decode"
  | "error shape"
  | "document: undocumented status"
  | "document: body does not validate"
  | "wrong method not answered 405 with Allow"
  | "body with a wrong or missing Content-Type accepted"
  | "refusal changed the database"
  | "no answer"

export interface Violation {
  readonly kind: ViolationKind
  readonly detail: string
}

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const clip = (text: string, max = 400) => (text.length <= max ? text : `${text.slice(0, max)}…`)

const asHarnessReply = (reply: RawReply): Reply => ({
  status: reply.status,
  headers: reply.headers,
  body: reply.text === "" ? null : Option.getOrElse(parseJson(reply.text), () => reply.text),
  text: reply.text,
  requestId: Option.getOrUndefined(Headers.get(reply.headers, "x-request-id"))
})

const mediaType = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase()

/** What a response of bytes is declared as: any media type stands for it. */
const BYTES = "application/octet-stream"

/** The reply against the contract's declaration for its status. */
const byContract = (op: Operation, reply: RawReply): ReadonlyArray<Violation> => {
  const declared = op.responses.get(reply.status)
  if (declared === undefined) {
    return [{ kind: "contract: undeclared status", detail: `${reply.status} is not among ${[...op.responses.keys()].sort().join(", ")}` }]
  }
  return Option.match(declared.schema, {
    onNone: () => (reply.text === "" ? [] : [{ kind: "contract: body does not decode", detail: `declares no body, got ${clip(reply.text, 100)}` }]),
    onSome: (schema): ReadonlyArray<Violation> => {
      // Bytes (a download) come labelled with their own type; there is nothing to decode.
      if (declared.contentType === BYTES) return reply.contentType === "" ? [{ kind: "contract: body does not decode", detail: "bytes without a Content-Type" }] : []
      if (mediaType(reply.contentType) !== declared.contentType) {
        return [{ kind: "contract: body does not decode", detail: `declares ${declared.contentType}, got ${reply.contentType || "no Content-Type"}` }]
      }
      if (reply.streaming) return []
      // Text of another type (NDJSON) is declared as a string: any text decodes.
      if (!isJsonMediaType(declared.contentType)) return []
      const parsed = parseJson(reply.text)
      if (Option.isNone(parsed)) return [{ kind: "contract: body does not decode", detail: "not JSON" }]
      // Strict: a field the contract does not declare is one a generated client does not know.
      const decoded = Schema.decodeUnknownEither(schema)(parsed.value, { onExcessProperty: "error", errors: "first" })
      return Either.match(decoded, {
        onRight: () => [],
        onLeft: (error) => [{ kind: "contract: body does not decode", detail: clip(ParseResult.TreeFormatter.formatErrorSync(error)) }]
      })
    }
  })
}

/** The reply against the served document, for the operation at `docPath` (and `method`). */
const byDocument = (judge: DocumentJudge, docPath: string, method: string, reply: RawReply): ReadonlyArray<Violation> => {
  const problems = judge.judge(docPath, method, reply.status, reply.contentType, reply.text)
  if (problems === undefined) {
    return [{ kind: "document: undocumented status", detail: `${method} ${docPath} documents ${judge.statuses(docPath, method).join(", ") || "nothing"}, not ${reply.status}` }]
  }
  return problems.map((p) => ({ kind: "document: body does not validate", detail: clip(p) }))
}

/** A wrong method has no operation of its own: 405, `Allow` naming the path's methods, documented on the path. */
const wrongMethod = (op: Operation, plan: Plan, judge: DocumentJudge, reply: RawReply): ReadonlyArray<Violation> => {
  const allowed = methodsByPath().get(op.path) ?? []
  const allow = Option.getOrElse(Headers.get(reply.headers, "allow"), () => "")
  const listed = allow.split(",").map((m) => m.trim().toUpperCase())
  const violations: Array<Violation> = []
  if (reply.status !== 405 || !allowed.every((m) => listed.includes(m))) {
    violations.push({ kind: "wrong method not answered 405 with Allow", detail: `${plan.method} on ${op.path} (serves ${allowed.join(", ")}): ${reply.status}, Allow: ${allow || "none"}` })
  }
  if (reply.status !== 405) return violations
  // Documented on the path if any operation of it documents the 405; its body is judged by that one.
  const documenting = operations().find((o) => o.path === op.path && judge.statuses(o.docPath, o.method).includes(405))
  return documenting === undefined
    ? [...violations, { kind: "document: undocumented status", detail: `no operation of ${op.docPath} documents 405` }]
    : [...violations, ...byDocument(judge, documenting.docPath, documenting.method, reply)]
}

const WRONG_BODY_TYPE = /body:(wrongContentType|noContentType)/

/** Everything wrong with a reply to `plan`, save what the database says (see `Exercise.ts`). */
export const verdict = (op: Operation, plan: Plan, judge: DocumentJudge, reply: RawReply): ReadonlyArray<Violation> => {
  const violations: Array<Violation> = []
  if (reply.status >= 500) violations.push({ kind: "5xx", detail: `${reply.status}` })
  if (reply.status >= 400) {
    for (const problem of shapeProblems(asHarnessReply(reply))) violations.push({ kind: "error shape", detail: problem })
  }
  if (plan.method !== op.method) return [...violations, ...wrongMethod(op, plan, judge, reply)]
  violations.push(...byContract(op, reply), ...byDocument(judge, op.docPath, op.method, reply))
  if (reply.status < 400 && WRONG_BODY_TYPE.test(plan.mutation)) {
    violations.push({ kind: "body with a wrong or missing Content-Type accepted", detail: `${reply.status}` })
  }
  return violations
}
