import { FastCheck } from "effect"

const clip = (text: string) => (text.length <= 120 ? text : `${text.slice(0, 120)}… (${text.length} chars)`)

/**
 * JSON values as the fuzzer builds them: plain JSON, plus two placeholders a JSON value cannot
 * hold. `Raw` is text written into the body as it is (a number JSON.stringify would not write,
 * such as `1e309`); `Ref` is an id of an existing row, chosen when the request is sent, since
 * the rows change as successful requests run.
 */
export class Raw {
  constructor(readonly text: string) {}
  /** How fast-check shows it in a counterexample: a 20,000-level nesting is not worth printing whole. */
  [FastCheck.toStringMethod]() {
    return `Raw(${clip(JSON.stringify(this.text))})`
  }
}

/** The rows a `Ref` may name; `version` is the current version of the task (else the project) named before it. */
export type RefKind = "user" | "member" | "key" | "project" | "column" | "task" | "comment" | "attachment" | "job" | "deadLetter" | "event" | "version"

export class Ref {
  constructor(
    readonly kind: RefKind,
    readonly index: number
  ) {}
  [FastCheck.toStringMethod]() {
    return `Ref(${this.kind} #${this.index})`
  }
}

/** A `Ref` resolves to an id, or to a version number. */
export type Resolved = string | number

/** A key written as the key after it: `{ [DUPLICATE + "a"]: 1, a: 2 }` is written `{"a":1,"a":2}`. */
export const DUPLICATE = "\u0000duplicate:"

export type Json = null | boolean | number | string | Raw | Ref | ReadonlyArray<Json> | { readonly [key: string]: Json }
export type Segment = string | number

export const isObject = (u: unknown): u is { readonly [key: string]: Json } =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Raw) && !(u instanceof Ref)

/** An encoded value (what `Schema.encode` gives) as JSON; `undefined` fields are left out, as JSON.stringify does. */
export const toJson = (u: unknown): Json => {
  if (u === null || typeof u === "boolean" || typeof u === "number" || typeof u === "string") return u
  if (Array.isArray(u)) return u.map(toJson)
  if (typeof u === "object") {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(u)) if (v !== undefined) out[k] = toJson(v)
    return out
  }
  return String(u)
}

/** JSON text, with `Raw` written as it is and `Ref`s resolved by `ref`. Lone surrogates are escaped, as JSON.stringify does. */
export const stringify = (value: Json, ref: (r: Ref) => Resolved): string => {
  if (value instanceof Raw) return value.text
  if (value instanceof Ref) return JSON.stringify(ref(value))
  if (Array.isArray(value)) return `[${value.map((v: Json) => stringify(v, ref)).join(",")}]`
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k.startsWith(DUPLICATE) ? k.slice(DUPLICATE.length) : k)}:${stringify(v, ref)}`)
    return `{${entries.join(",")}}`
  }
  return JSON.stringify(value)
}

/** Every path to a leaf or a container, with the value there; the root is `[]`. */
export const paths = (value: Json, at: ReadonlyArray<Segment> = []): Array<readonly [ReadonlyArray<Segment>, Json]> => {
  const here: Array<readonly [ReadonlyArray<Segment>, Json]> = [[at, value]]
  if (Array.isArray(value)) value.forEach((v: Json, i) => here.push(...paths(v, [...at, i])))
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) here.push(...paths(v, [...at, k]))
  return here
}

/** The value with the node at `path` replaced (`undefined`: removed). */
export const setAt = (value: Json, path: ReadonlyArray<Segment>, next: Json | undefined): Json => {
  if (path.length === 0) return next ?? null
  const [head, ...rest] = path
  if (Array.isArray(value) && typeof head === "number") {
    const copy: Array<Json> = [...value]
    const child = rest.length === 0 ? next : setAt(copy[head] ?? null, rest, next)
    if (child === undefined) copy.splice(head, 1)
    else copy[head] = child
    return copy
  }
  if (isObject(value) && typeof head === "string") {
    const copy: Record<string, Json> = { ...value }
    const child = rest.length === 0 ? next : head in value ? setAt(value[head]!, rest, next) : undefined
    if (child === undefined) delete copy[head]
    // defineProperty, so that a `__proto__` field is a field and not the object's prototype.
    else Object.defineProperty(copy, head, { value: child, enumerable: true, writable: true, configurable: true })
    return copy
  }
  return value
}

/** `tasks.0.title` → `tasks.*.title`: the form the field catalogue is keyed by. */
export const pattern = (path: ReadonlyArray<Segment>): string => path.map((s) => (typeof s === "number" ? "*" : s)).join(".")
