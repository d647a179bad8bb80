import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Arbitrary, Either, FastCheck as fc, Option, Schema, SchemaAST } from "effect"
import { type AnySchema, methodsByPath, type Operation, operations } from "./Contract.js"
import { DUPLICATE, isObject, type Json, paths, pattern, Raw, Ref, type RefKind, type Segment, setAt, toJson } from "./Json.js"
import { fieldBounds } from "./Shapes.js"

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
/** A query value: `Raw` goes in as it is (a malformed escape), a string is percent-encoded. */
export type QueryValue = string | Raw

export type Body =
  | { readonly _tag: "None" }
  | { readonly _tag: "Json"; readonly value: Json; readonly contentType: string | null }
  /** Text sent as it is: not JSON, or JSON too deep to build as a value. */
  | { readonly _tag: "Text"; readonly text: Raw; readonly contentType: string | null }
  | { readonly _tag: "Bytes"; readonly bytes: ReadonlyArray<number>; readonly contentType: string | null }

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

export const JSON_TYPE = "application/json"
/** Media types are case-insensitive and may carry parameters: these are JSON too. */
const JSON_TYPES = [JSON_TYPE, JSON_TYPE, JSON_TYPE, JSON_TYPE, "application/json; charset=utf-8", "Application/JSON"]
/** Not JSON: a body labelled so, or not labelled, is to be refused (415). */
export const WRONG_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", "application/octet-stream", "text/html; charset=utf-8"]

const uuid = fc.uuid()

// ---- path ------------------------------------------------------------------------------------

const PARAM_KINDS: Readonly<Record<string, RefKind>> = {
  projectId: "project",
  taskId: "task",
  columnId: "column",
  commentId: "comment",
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

// ---- values from schemas -------------------------------------------------------------------------

/** A wire value, and whether it was made on the Type side (valid by construction) or the encoded side (anything of the right shape). */
export interface Generated {
  readonly value: Json
  readonly side: "type" | "encoded"
}

const cache = new Map<AnySchema, fc.Arbitrary<Generated>>()

/** Wire values: generated on the Type side and encoded (3 in 4), or generated on the encoded side. */
export const wireValue = (schema: AnySchema): fc.Arbitrary<Generated> => {
  const known = cache.get(schema)
  if (known !== undefined) return known
  const encode = Schema.encodeEither(schema)
  const encoded = Arbitrary.make(Schema.encodedSchema(schema)).map((v): Generated => ({ value: toJson(v), side: "encoded" }))
  const typed = Arbitrary.make(schema).chain((value) =>
    Either.match(encode(value), { onLeft: () => encoded, onRight: (v) => fc.constant<Generated>({ value: toJson(v), side: "type" }) })
  )
  const arbitrary = fc.oneof({ weight: 3, arbitrary: typed }, { weight: 1, arbitrary: encoded })
  cache.set(schema, arbitrary)
  return arbitrary
}

/** The top-level field names of a struct schema (query parameters, headers). */
const fieldNames = (ast: SchemaAST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.flatMap((p) => (typeof p.name === "string" ? [p.name] : []))
    case "Transformation":
      return fieldNames(ast.from)
    case "Refinement":
      return fieldNames(ast.from)
    case "Declaration":
      return ast.typeParameters.flatMap(fieldNames)
    case "Union":
      return [...new Set(ast.types.flatMap(fieldNames))]
    default:
      return []
  }
}

// ---- body ------------------------------------------------------------------------------------

/** The row an id field of a body names, by field (and, for neighbours, by operation). */
const bodyRefKind = (op: Operation, path: ReadonlyArray<Segment>): RefKind | undefined => {
  const names = path.filter((s): s is string => typeof s === "string")
  const field = names[names.length - 1]
  switch (field) {
    case "columnId":
    case "columnIds":
      return "column"
    case "taskId":
      return "task"
    case "userId":
      return "user"
    case "assigneeId":
      return "member"
    case "ids":
      return "deadLetter"
    case "afterId":
    case "beforeId":
      return op.key === "projects.moveProject" ? "project" : op.key === "board.createColumn" ? "column" : "task"
    default:
      return undefined
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids in a generated body become existing rows' ids, most of the time: otherwise every id is unknown and the request stops at a 404. */
const withRefs = (op: Operation, value: Json, seed: number): Json => {
  let result = value
  let i = 0
  for (const [path, leaf] of paths(value)) {
    if (path[path.length - 1] === "version" && typeof leaf === "number" && ((seed >>> 20) & 3) !== 0) {
      result = setAt(result, path, new Ref("version", seed))
      continue
    }
    if (typeof leaf !== "string" || !UUID.test(leaf)) continue
    const kind = bodyRefKind(op, path)
    i += 1
    if (kind !== undefined && ((seed >>> (i % 16)) & 3) !== 0) result = setAt(result, path, new Ref(kind, seed + i * 7))
  }
  return result
}

const WRONG_TYPED: ReadonlyArray<Json> = [0, -1, 1.5, "x", "", true, false, null, [], {}, [1, 2], { a: 1 }, "1", "true", "null"]
const BAD_NUMBERS: ReadonlyArray<Json> = [
  -1,
  0,
  0.5,
  -0.5,
  1e308,
  2 ** 53 + 2,
  2 ** 31,
  -(2 ** 31) - 1,
  new Raw("1e309"),
  new Raw("-1e309"),
  new Raw("1e-400"),
  new Raw("-0"),
  new Raw("9007199254740993"),
  new Raw("123456789012345678901234567890"),
  new Raw("1E2"),
  "NaN",
  "Infinity",
  "1"
]
const UNKNOWN_FIELDS: ReadonlyArray<string> = ["extra", "__proto__", "constructor", "_tag", "id", "Title", "version ", ""]
const NUL_STRINGS = (s: string): ReadonlyArray<string> => ["\u0000", `${s}\u0000`, `\u0000${s}`, `a\u0000b`]
const SURROGATE_STRINGS = (s: string): ReadonlyArray<string> => ["\ud800", `${s}\udfff`, `\ud83d${s}`, "a\udc00b", "\udbff\udbff"]
const NOT_JSON: ReadonlyArray<string> = ["not json", "{", "}", "[", "{\"a\":1,}", "{'a':1}", "\ufeff{}", "undefined", "NaN", "{\"a\":01}", "\"\\ud800\"", "\u0000", "{\"a\":\"\\x41\"}", "1 2", "{}{}"]
const JSON_NOT_OBJECT: ReadonlyArray<string> = ["null", "[]", "\"text\"", "1", "true", "{}"]
const DEPTH = 20_000
const DEEP: ReadonlyArray<string> = [
  `${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`,
  `${"{\"a\":".repeat(DEPTH)}1${"}".repeat(DEPTH)}`
]

/** How a body is broken: each kind takes the generated value and two numbers that pick where and what. */
const BODY_MUTATIONS = [
  "valid",
  "wrongType",
  "missingField",
  "unknownField",
  "maxLength",
  "overMaxLength",
  "overMaxItems",
  "nul",
  "loneSurrogate",
  "badNumber",
  "deepNesting",
  "deepField",
  "notJson",
  "jsonNotObject",
  "emptyBody",
  "duplicateKey",
  "invalidUtf8",
  "wrongContentType",
  "noContentType"
] as const
type BodyMutation = (typeof BODY_MUTATIONS)[number]

const pick = <A>(items: ReadonlyArray<A>, n: number): A | undefined => (items.length === 0 ? undefined : items[n % items.length])

const leaves = (value: Json, test: (leaf: Json) => boolean) => paths(value).filter(([path, leaf]) => path.length > 0 && test(leaf))

interface BodyChoice {
  readonly body: Body
  /** The label, or undefined when the mutation found nothing to act on (the body stays valid). */
  readonly label: string | undefined
}

const json = (value: Json, contentType: string): Body => ({ _tag: "Json", value, contentType })
const text = (t: string, contentType: string | null = JSON_TYPE): Body => ({ _tag: "Text", text: new Raw(t), contentType })

const mutateBody = (op: Operation, value: Json, kind: BodyMutation, where: number, what: number, contentType: string): BodyChoice => {
  const bounds = Option.match(op.payload, { onNone: () => new Map(), onSome: fieldBounds })
  const done = (next: Json, label: string = kind): BodyChoice => ({ body: json(next, contentType), label })
  const valid: BodyChoice = { body: json(value, contentType), label: undefined }
  switch (kind) {
    case "valid":
      return valid
    case "wrongType": {
      const target = pick(leaves(value, () => true), where)
      return target === undefined ? valid : done(setAt(value, target[0], WRONG_TYPED[what % WRONG_TYPED.length]!))
    }
    case "missingField": {
      const target = pick(paths(value).filter(([p]) => typeof p[p.length - 1] === "string"), where)
      return target === undefined ? valid : done(setAt(value, target[0], undefined))
    }
    case "unknownField": {
      const objects = paths(value).filter(([, v]) => isObject(v))
      const target = pick(objects, where)
      return target === undefined ? valid : done(setAt(value, [...target[0], UNKNOWN_FIELDS[what % UNKNOWN_FIELDS.length]!], what % 2 === 0 ? 1 : "x"))
    }
    case "maxLength":
    case "overMaxLength": {
      const strings = leaves(value, (v) => typeof v === "string").flatMap(([p]) => {
        const max = bounds.get(pattern(p))?.maxLength
        // The import's 5 MiB file is left alone: one such body per run costs more than the run.
        return max === undefined || max > 100_000 ? [] : [[p, max] as const]
      })
      const target = pick(strings, where)
      if (target === undefined) return valid
      const [p, max] = target
      const length = kind === "maxLength" ? max : max + 1
      // Multi-unit characters count as they do for the schema: UTF-16 code units.
      const filler = what % 3 === 0 ? "x" : what % 3 === 1 ? "é" : "😀"
      return done(setAt(value, p, filler.repeat(Math.ceil(length / filler.length)).slice(0, length)))
    }
    case "overMaxItems": {
      const arrays = paths(value).flatMap(([p, v]) => {
        const max = bounds.get(pattern(p))?.maxItems
        return Array.isArray(v) && v.length > 0 && max !== undefined ? [[p, v, max] as const] : []
      })
      const target = pick(arrays, where)
      if (target === undefined) return valid
      const [p, items, max] = target
      return done(setAt(value, p, Array.from({ length: max + 1 }, (_, i) => items[i % items.length]!)))
    }
    case "nul":
    case "loneSurrogate": {
      const target = pick(leaves(value, (v) => typeof v === "string"), where)
      if (target === undefined) return valid
      const original = typeof target[1] === "string" ? target[1] : ""
      const variants = kind === "nul" ? NUL_STRINGS(original) : SURROGATE_STRINGS(original)
      return done(setAt(value, target[0], variants[what % variants.length]!))
    }
    case "badNumber": {
      const numbers = leaves(value, (v) => typeof v === "number")
      const target = pick(numbers.length > 0 ? numbers : leaves(value, () => true), where)
      return target === undefined ? valid : done(setAt(value, target[0], BAD_NUMBERS[what % BAD_NUMBERS.length]!))
    }
    case "deepNesting":
      return { body: text(DEEP[what % DEEP.length]!), label: kind }
    case "deepField": {
      const target = pick(leaves(value, () => true), where)
      return target === undefined ? valid : done(setAt(value, target[0], new Raw(DEEP[what % DEEP.length]!)))
    }
    case "notJson":
      return { body: text(NOT_JSON[what % NOT_JSON.length]!), label: kind }
    case "jsonNotObject":
      return { body: text(JSON_NOT_OBJECT[what % JSON_NOT_OBJECT.length]!), label: kind }
    case "emptyBody":
      return { body: text(""), label: kind }
    case "duplicateKey": {
      if (!isObject(value)) return valid
      const key = pick(Object.keys(value), where)
      if (key === undefined) return valid
      // A wrong value first, the generated one second: JSON.parse keeps the last.
      return done({ [`${DUPLICATE}${key}`]: WRONG_TYPED[what % WRONG_TYPED.length]!, ...value })
    }
    case "invalidUtf8": {
      const prefix = Array.from(new TextEncoder().encode('{"x":"'))
      const bad = [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff], [0xe2, 0x82]][what % 4]!
      return { body: { _tag: "Bytes", bytes: [...prefix, ...bad, 0x22, 0x7d], contentType: JSON_TYPE }, label: kind }
    }
    case "wrongContentType":
      return { body: json(value, WRONG_TYPES[what % WRONG_TYPES.length]!), label: kind }
    case "noContentType":
      return { body: { _tag: "Json", value, contentType: null }, label: kind }
  }
}

const bodyArb = (op: Operation, broken: boolean): fc.Arbitrary<BodyChoice> =>
  Option.match(op.payload, {
    onNone: () =>
      broken
        ? // A body where none is expected: ignored or refused, never a fault.
          fc.constantFrom<BodyChoice>({ body: text('{"a":1}'), label: "unexpectedBody" }, { body: text(DEEP[0]!), label: "unexpectedDeepBody" })
        : fc.constant<BodyChoice>({ body: { _tag: "None" }, label: undefined }),
    onSome: (payload) =>
      fc
        .record({
          value: wireValue(payload),
          refs: fc.nat(),
          kind: broken ? fc.constantFrom(...BODY_MUTATIONS.filter((m) => m !== "valid")) : fc.constant<BodyMutation>("valid"),
          where: fc.nat(),
          what: fc.nat(),
          contentType: fc.constantFrom(...JSON_TYPES)
        })
        .map(({ contentType, kind, refs, value, what, where }) => {
          const choice = mutateBody(op, withRefs(op, value.value, refs), kind, where, what, contentType)
          return choice.label === undefined && value.side === "encoded" ? { ...choice, label: "encodedSide" } : choice
        })
  })

// ---- query and headers -------------------------------------------------------------------------

const BAD_QUERY_TEXT: ReadonlyArray<string> = ["", " ", "abc", "-1", "0", "0.5", "1e309", "1e3", "99999999999999999999", "NaN", "Infinity", "-0", "0x10", " 5", "\u0000", "a\u0000b", "2024-13-45T00:00:00Z", "+275760-09-13T00:00:00.001Z", "-271821-04-20T00:00:00.000Z", "ACTIVE", "😀"]
const BAD_QUERY_RAW: ReadonlyArray<string> = ["%00", "a%00b", "%ED%A0%80", "%EF%BF%BD", "%ZZ", "%", "%C0%AF", "%FF", "%E2%82"]

const toQuery = (value: Json): Array<readonly [string, QueryValue]> =>
  isObject(value)
    ? Object.entries(value).flatMap(([k, v]) => (Array.isArray(v) ? v.map((item: Json) => [k, String(item)] as const) : [[k, String(v)] as const]))
    : []

const queryArb = (op: Operation, broken: boolean): fc.Arbitrary<readonly [ReadonlyArray<readonly [string, QueryValue]>, string | undefined]> =>
  Option.match(op.urlParams, {
    onNone: () => fc.constant([[], undefined] as const),
    onSome: (schema) => {
      const names = fieldNames(schema.ast)
      const bounds = fieldBounds(schema)
      return fc
        .record({ value: wireValue(schema), kind: broken ? fc.nat(4) : fc.constant(-1), name: fc.constantFrom(...names), what: fc.nat() })
        .map(({ kind, name, value, what }) => {
          const query = toQuery(value.value)
          const max = bounds.get(name)?.maxLength
          switch (kind) {
            case 0:
              return [[...query, ["unknown", "1"]], "query:unknownParam"] as const
            case 1:
              return [[...query, [name, "1"], [name, "2"]], "query:repeated"] as const
            case 2:
              return [[...query.filter(([k]) => k !== name), [name, BAD_QUERY_TEXT[what % BAD_QUERY_TEXT.length]!]], "query:badValue"] as const
            case 3:
              return [[...query.filter(([k]) => k !== name), [name, new Raw(BAD_QUERY_RAW[what % BAD_QUERY_RAW.length]!)]], "query:badEscape"] as const
            case 4:
              return max === undefined
                ? ([query, undefined] as const)
                : ([[...query.filter(([k]) => k !== name), [name, "q".repeat(max + (what % 2))]], what % 2 === 0 ? "query:maxLength" : "query:overMaxLength"] as const)
            default:
              return [query, value.side === "encoded" ? "query:encodedSide" : undefined] as const
          }
        })
    }
  })

const headersArb = (op: Operation, broken: boolean): fc.Arbitrary<readonly [Readonly<Record<string, string | Ref>>, string | undefined]> =>
  Option.match(op.headers, {
    onNone: () => fc.constant([{}, undefined] as const),
    onSome: (schema) => {
      const names = fieldNames(schema.ast)
      return fc
        .record({ value: wireValue(schema), name: fc.constantFrom(...names), what: fc.nat() })
        .map(({ name, value, what }) => {
          const headers: Record<string, string | Ref> = {}
          if (isObject(value.value)) for (const [k, v] of Object.entries(value.value)) headers[k] = String(v)
          if (!broken && name === "last-event-id" && what % 2 === 0) return [{ ...headers, [name]: new Ref("event", what) }, undefined] as const
          if (broken) {
            const bad = ["", " ", "x".repeat(200), "x".repeat(201), "é", "not-a-uuid", "0192B7C4-2F3E-7000-8000-000000000000"][what % 7]!
            return [{ ...headers, [name]: bad }, "header:badValue"] as const
          }
          return [headers, value.side === "encoded" ? "header:encodedSide" : undefined] as const
        })
    }
  })

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
  if (Option.isSome(op.headers)) parts.push({ weight: 1, arbitrary: fc.constant("header") })
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
