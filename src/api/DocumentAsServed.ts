/**
 * The OpenAPI document as the server really answers, and valid JSON Schema 2020-12.
 *
 * Errors. `HttpApi` declares its own decode error,
 * `HttpApiDecodeError` (with an `Issue` schema of `_tag`, `path`, `message`), as a 400 of every
 * operation; the server never sends it: the error-shaping middleware rewrites every decode
 * failure into `ValidationError` with `issues: [{ path, message }]`. A client generated from the
 * document would otherwise expect a body it never gets. So every reference to the decode error
 * becomes one to `ValidationError`, and the schemas nothing refers to any more are dropped.
 */
const DECODE_ERROR = "#/components/schemas/HttpApiDecodeError"
const VALIDATION_ERROR = "#/components/schemas/ValidationError"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isObject = (value: Json): value is { readonly [key: string]: Json } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isRef = (value: Json, ref: string) => isObject(value) && value["$ref"] === ref

const replaceDecodeError = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(replaceDecodeError)
  if (!isObject(value)) return value
  if (isRef(value, DECODE_ERROR)) return { $ref: VALIDATION_ERROR }
  const out: Record<string, Json> = {}
  for (const [key, child] of Object.entries(value)) out[key] = replaceDecodeError(child)
  // `anyOf: [decode error, ValidationError]` is now the same schema twice.
  const anyOf = out["anyOf"]
  if (Array.isArray(anyOf)) {
    const unique = anyOf.filter((s, i) => anyOf.findIndex((t) => JSON.stringify(t) === JSON.stringify(s)) === i)
    if (unique.length === 1 && Object.keys(out).length === 1) return unique[0]!
    out["anyOf"] = unique
  }
  return out
}

const refsIn = (value: Json, found: Set<string>): Set<string> => {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found))
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") found.add(child.replace("#/components/schemas/", ""))
      else refsIn(child, found)
    }
  }
  return found
}

/** Components reachable from the paths (and from each other); the rest are dropped. */
const dropUnreferenced = (spec: { readonly [key: string]: Json }): { readonly [key: string]: Json } => {
  const components = spec["components"]
  if (!isObject(components) || !isObject(components["schemas"])) return spec
  const schemas = components["schemas"]
  const reachable = refsIn(spec["paths"] ?? null, new Set())
  for (let grown = true; grown; ) {
    grown = false
    for (const name of [...reachable]) {
      for (const ref of refsIn(schemas[name] ?? null, new Set())) {
        if (!reachable.has(ref)) {
          reachable.add(ref)
          grown = true
        }
      }
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => reachable.has(name)))
  return { ...spec, components: { ...components, schemas: kept } }
}

/**
 * Effect writes every `Schema.Unknown` as `{ "$id": "/schemas/unknown" }`, wherever it occurs.
 * JSON Schema 2020-12 forbids two schemas with one `$id`, and strict validators (Ajv) refuse
 * the whole document for it; such a schema means "anything", which `{}` says without an id.
 */
const dropRepeatedIds = (value: Json, repeated: ReadonlySet<string>): Json => {
  if (Array.isArray(value)) return value.map((v) => dropRepeatedIds(v, repeated))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, child]) => !(key === "$id" && typeof child === "string" && repeated.has(child)))
      .map(([key, child]) => [key, dropRepeatedIds(child, repeated)])
  )
}

const idsIn = (value: Json, counts: Map<string, number>): Map<string, number> => {
  if (Array.isArray(value)) value.forEach((v) => idsIn(v, counts))
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$id" && typeof child === "string") counts.set(child, (counts.get(child) ?? 0) + 1)
      else idsIn(child, counts)
    }
  }
  return counts
}

export const documentAsServed = (spec: Record<string, unknown>): Record<string, unknown> => {
  const json: Json = JSON.parse(JSON.stringify(spec))
  const repeated = new Set([...idsIn(json, new Map())].filter(([, n]) => n > 1).map(([id]) => id))
  const cleaned = dropRepeatedIds(replaceDecodeError(json), repeated)
  return isObject(cleaned) ? { ...dropUnreferenced(cleaned) } : spec
}
