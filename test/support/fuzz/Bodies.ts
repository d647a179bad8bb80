import { FastCheck as fc, Option } from "effect"
import type { Operation } from "./Contract.js"
import { DUPLICATE, isObject, type Json, paths, pattern, Raw, Ref, type RefKind, type Segment, setAt } from "./Json.js"
import { fieldBounds } from "./Shapes.js"
import { wireValue } from "./Values.js"
import { EXE, HTML, PDF, PNG, TEXT } from "../Files.js"

/**
 * Request bodies: generated from the operation's payload schema, ids made existing rows' most
 * of the time, and when the body is the part to break, broken in one of `BODY_MUTATIONS`' ways.
 */
export type Body =
  | { readonly _tag: "None" }
  | { readonly _tag: "Json"; readonly value: Json; readonly contentType: string | null }
  /** Text sent as it is: not JSON, or JSON too deep to build as a value. */
  | { readonly _tag: "Text"; readonly text: Raw; readonly contentType: string | null }
  | { readonly _tag: "Bytes"; readonly bytes: ReadonlyArray<number>; readonly contentType: string | null }

const JSON_TYPE = "application/json"
/** Media types are case-insensitive and may carry parameters: these are JSON too. */
const JSON_TYPES = [JSON_TYPE, JSON_TYPE, JSON_TYPE, JSON_TYPE, "application/json; charset=utf-8", "Application/JSON"]
/** Not JSON: a body labelled so, or not labelled, is to be refused (415). */
const WRONG_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", "application/octet-stream", "text/html; charset=utf-8"]

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

export interface BodyChoice {
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

// ---- uploads (multipart/form-data) ---------------------------------------------------------------

const BOUNDARY = "fuzzb0undary"
const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`

interface Part {
  readonly name: string
  /** A file part has a file name; a field has none. */
  readonly filename?: string
  readonly bytes: Uint8Array
}

/** A multipart body written out: names beyond Latin-1 as `filename*`, as clients do for them. */
const multipart = (parts: ReadonlyArray<Part>): ReadonlyArray<number> => {
  const sections = parts.map((part) => {
    const filename = part.filename === undefined ? "" : `; filename="${part.filename.replace(/["\r\n]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(part.filename)}`
    return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n\r\n`), part.bytes, Buffer.from("\r\n")])
  })
  return Array.from(Buffer.concat([...sections, Buffer.from(`--${BOUNDARY}--\r\n`)]))
}

const FILES: ReadonlyArray<readonly [string, Uint8Array]> = [
  ["notes.txt", TEXT],
  ["diagram.png", PNG],
  ["spec.pdf", PDF],
  ["figures.csv", new TextEncoder().encode("a,b\n1,2\n")],
  ["../../etc/passwd", TEXT],
  ["Überblick – März 報告.txt", TEXT],
  [`${"long".repeat(100)}.txt`, TEXT]
]

/** How an upload is broken; each must be refused and change nothing. */
const UPLOAD_MUTATIONS: ReadonlyArray<readonly [string, Body]> = [
  ["noFilePart", { _tag: "Bytes", bytes: multipart([]), contentType: MULTIPART_TYPE }],
  ["fieldNotFile", { _tag: "Bytes", bytes: multipart([{ name: "file", bytes: TEXT }]), contentType: MULTIPART_TYPE }],
  ["unknownPart", { _tag: "Bytes", bytes: multipart([{ name: "attachment", filename: "notes.txt", bytes: TEXT }]), contentType: MULTIPART_TYPE }],
  ["twoFiles", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "a.txt", bytes: TEXT }, { name: "file", filename: "b.txt", bytes: TEXT }]), contentType: MULTIPART_TYPE }],
  ["emptyFile", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "empty.txt", bytes: new Uint8Array(0) }]), contentType: MULTIPART_TYPE }],
  ["htmlAsPng", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "photo.png", bytes: HTML }]), contentType: MULTIPART_TYPE }],
  ["executable", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "setup.exe", bytes: EXE }]), contentType: MULTIPART_TYPE }],
  ["notMultipart", { _tag: "Bytes", bytes: Array.from(new TextEncoder().encode(`--${BOUNDARY}\r\nno headers here\r\n`)), contentType: MULTIPART_TYPE }],
  ["noBoundary", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "a.txt", bytes: TEXT }]), contentType: "multipart/form-data" }],
  ["wrongContentType", { _tag: "Json", value: { file: "aGVsbG8=" }, contentType: JSON_TYPE }],
  ["noContentType", { _tag: "Bytes", bytes: multipart([{ name: "file", filename: "a.txt", bytes: TEXT }]), contentType: null }]
]

/** An upload: one file part, or (broken) one of `UPLOAD_MUTATIONS`. */
const uploadArb = (broken: boolean): fc.Arbitrary<BodyChoice> =>
  broken
    ? fc.constantFrom(...UPLOAD_MUTATIONS).map(([label, body]): BodyChoice => ({ body, label }))
    : fc.constantFrom(...FILES).map(([filename, bytes]): BodyChoice => ({
        body: { _tag: "Bytes", bytes: multipart([{ name: "file", filename, bytes }]), contentType: MULTIPART_TYPE },
        label: undefined
      }))

export const bodyArb = (op: Operation, broken: boolean): fc.Arbitrary<BodyChoice> =>
  op.multipart ? uploadArb(broken) : Option.match(op.payload, {
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
