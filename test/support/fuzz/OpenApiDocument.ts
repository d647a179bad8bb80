import type { ErrorObject, ValidateFunction } from "ajv"
import { Ajv2020 } from "ajv/dist/2020.js"
import formats from "ajv-formats"

/**
 * The served OpenAPI document (3.1: its schemas are JSON Schema 2020-12) as the judge of
 * responses: what generated clients trust. A status must be among the document's responses of
 * the operation, and the body must validate against the schema it documents for that status
 * and content type, `$ref`s resolved into `components`.
 */
export interface DocumentedOperation {
  readonly statuses: ReadonlyArray<string>
}

/** `application/json` and `…+json`; not `application/x-ndjson`, which is many documents. */
export const isJsonMediaType = (mediaType: string): boolean => mediaType === "application/json" || mediaType.endsWith("+json")

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
/** JSON Pointer escaping (RFC 6901), then URI fragment escaping for the `{` and `}` of templates. */
const pointer = (...segments: ReadonlyArray<string>) =>
  segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/")

const describe = (errors: ReadonlyArray<ErrorObject> | null | undefined): string =>
  (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}${e.keyword === "additionalProperties" ? `: ${JSON.stringify(e.params)}` : ""}`)
    .join("; ")

export interface DocumentJudge {
  /** The statuses the document lists for the operation (an empty list: no such operation). */
  readonly statuses: (docPath: string, method: string) => ReadonlyArray<number>
  /**
   * What is wrong with a response by the document, if anything: `undefined` when the status is
   * not documented (reported apart), `[]` when the body is as documented.
   */
  readonly judge: (docPath: string, method: string, status: number, contentType: string, body: string) => ReadonlyArray<string> | undefined
}

const idCounts = (document: unknown): ReadonlyMap<unknown, number> => {
  const counts = new Map<unknown, number>()
  const walk = (u: unknown): void => {
    if (Array.isArray(u)) u.forEach(walk)
    else if (isRecord(u)) {
      if (typeof u.$id === "string") counts.set(u.$id, (counts.get(u.$id) ?? 0) + 1)
      Object.values(u).forEach(walk)
    }
  }
  walk(document)
  return counts
}

/**
 * The `$id`s the document holds more than once. Effect writes `Schema.Unknown` as
 * `{ "$id": "/schemas/unknown" }` wherever it occurs; JSON Schema 2020-12 makes a duplicate `$id`
 * an error, and Ajv refuses the whole document.
 */
export const duplicateIds = (document: unknown): ReadonlyArray<string> =>
  [...idCounts(document)].filter(([, n]) => n > 1).map(([id, n]) => `${String(id)} (${n} times)`)

/** The document without its duplicated `$id`s, so that Ajv takes it: each such schema is then `{}`, anything. */
const withoutDuplicateIds = (document: unknown): unknown => {
  const counts = idCounts(document)
  const strip = (u: unknown): unknown =>
    Array.isArray(u)
      ? u.map(strip)
      : isRecord(u)
        ? Object.fromEntries(Object.entries(u).filter(([k, v]) => !(k === "$id" && (counts.get(v) ?? 0) > 1)).map(([k, v]) => [k, strip(v)]))
        : u
  return strip(document)
}

export const documentJudge = (served: unknown): DocumentJudge => {
  const document = withoutDuplicateIds(served)
  if (!isRecord(document) || !isRecord(document.paths)) throw new Error("not an OpenAPI document")
  const paths = document.paths
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  formats.default(ajv)
  ajv.addSchema(document, "openapi")
  const validators = new Map<string, ValidateFunction | undefined>()
  const responsesOf = (docPath: string, method: string): Record<string, unknown> => {
    const item = paths[docPath]
    const operation = isRecord(item) ? item[method.toLowerCase()] : undefined
    return isRecord(operation) && isRecord(operation.responses) ? operation.responses : {}
  }
  return {
    statuses: (docPath, method) => Object.keys(responsesOf(docPath, method)).map(Number),
    judge: (docPath, method, status, contentType, body) => {
      const response = responsesOf(docPath, method)[String(status)]
      if (!isRecord(response)) return undefined
      const content = isRecord(response.content) ? response.content : {}
      const mediaTypes = Object.keys(content)
      if (mediaTypes.length === 0) return body === "" ? [] : [`documents no body, got ${contentType || "one without a Content-Type"}`]
      // `application/octet-stream` documents bytes of whatever type the resource has (a download).
      const mediaType = mediaTypes.find((m) => contentType.split(";")[0]!.trim().toLowerCase() === m) ?? mediaTypes.find((m) => m === "application/octet-stream" && contentType !== "")
      if (mediaType === undefined) return [`documents ${mediaTypes.join(", ")}, got ${contentType || "no Content-Type"}`]
      // An event stream is not read, and NDJSON is lines of JSON, not one document: for text of
      // other types the content type is all there is to judge.
      if (!isJsonMediaType(mediaType)) return []
      let parsed: unknown
      try {
        parsed = JSON.parse(body)
      } catch {
        return [`documents ${mediaType}, got a body that is not JSON`]
      }
      const ref = `openapi#/${pointer("paths", docPath, method.toLowerCase(), "responses", String(status), "content", mediaType, "schema")}`
      if (!validators.has(ref)) validators.set(ref, ajv.getSchema(ref))
      const validate = validators.get(ref)
      if (validate === undefined) return [`the document's schema ${ref} did not compile`]
      return validate(parsed) ? [] : [describe(validate.errors)]
    }
  }
}
