import { Either, ParseResult, Schema } from "effect"
import { ValidationError } from "../domain/Errors.js"
import type { Column } from "../domain/Model.js"
import { CreateTask } from "../domain/Requests.js"
import { parseCsv } from "./Csv.js"

/**
 * Import files as rows of raw values, and a row as a `CreateTask`. Whole-file problems (not CSV
 * or JSON at all, an unknown header) are a 400 when the import is requested; a row's problems
 * become that row's entries in the job's error report.
 */
export const IMPORT_FIELDS = ["title", "description", "column", "priority", "labels", "dueAt", "estimate"] as const
export const MAX_IMPORT_ROWS = 10_000

export const ImportRow = Schema.Struct({
  /** CSV: the line the record starts on (the header is line 1). JSON: the item's 1-based position. */
  row: Schema.Int,
  values: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** A problem found while reading the file (a record with too many fields, an item that is no object). */
  problem: Schema.NullOr(Schema.Struct({ field: Schema.NullOr(Schema.String), message: Schema.String }))
})
export type ImportRow = typeof ImportRow.Type

export const RowError = Schema.Struct({ row: Schema.Int, field: Schema.NullOr(Schema.String), message: Schema.String })
export type RowError = typeof RowError.Type

const invalid = (message: string) => Either.left(ValidationError.field("data", message))
const canonical = new Map<string, string>(IMPORT_FIELDS.map((f) => [f.toLowerCase(), f]))

const fromCsv = (data: string): Either.Either<ReadonlyArray<ImportRow>, ValidationError> => {
  const parsed = parseCsv(data)
  if (Either.isLeft(parsed)) return invalid(`line ${parsed.left.line}: ${parsed.left.message}`)
  const [header, ...records] = parsed.right
  if (header === undefined) return invalid("the file is empty: expected a header row")
  const names = header.fields.map((h) => canonical.get(h.trim().toLowerCase()))
  const unknown = header.fields.find((_, i) => names[i] === undefined)
  if (unknown !== undefined) return invalid(`unknown column "${unknown.trim()}" in the header; expected ${IMPORT_FIELDS.join(", ")}`)
  if (!names.includes("title")) return invalid("the header has no title column")
  if (new Set(names).size !== names.length) return invalid("a column appears twice in the header")
  return Either.right(
    records.map((record) => ({
      row: record.line,
      values: Object.fromEntries(names.map((name, i) => [name, record.fields[i] ?? ""])),
      problem:
        record.fields.length > names.length
          ? { field: null, message: `has ${record.fields.length} fields, the header ${names.length}` }
          : null
    }))
  )
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const fromJson = (data: string): Either.Either<ReadonlyArray<ImportRow>, ValidationError> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return invalid("is not valid JSON")
  }
  if (!Array.isArray(parsed)) return invalid("must be a JSON array of tasks")
  return Either.right(
    parsed.map((item: unknown, i): ImportRow => {
      if (!isObject(item)) return { row: i + 1, values: {}, problem: { field: null, message: "must be an object" } }
      const extra = Object.keys(item).find((key) => !IMPORT_FIELDS.some((f) => f === key))
      return { row: i + 1, values: item, problem: extra === undefined ? null : { field: extra, message: "is not an import field" } }
    })
  )
}

export const parseImport = (format: "json" | "csv", data: string): Either.Either<ReadonlyArray<ImportRow>, ValidationError> =>
  Either.flatMap(format === "csv" ? fromCsv(data) : fromJson(data), (rows) =>
    rows.length > MAX_IMPORT_ROWS ? invalid(`has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} can be imported at once`) : Either.right(rows)
  )

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === "string" && v.trim() === "")

/** `labels` as CSV writes them (`a;b`) or as a JSON array. */
const labelsOf = (v: unknown): unknown => (typeof v === "string" ? v.split(";").map((l) => l.trim()).filter((l) => l !== "") : v)
const estimateOf = (v: unknown): unknown => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v)
const decodeCreate = Schema.decodeUnknownEither(CreateTask)

/**
 * A union reports one issue per member ("Expected \"low\", actual …", "Expected null, …"): one
 * line per field reads better, listing the values that would do.
 */
const oneMessage = (messages: ReadonlyArray<string>): string => {
  const expected = messages.map((m) => /^Expected (.+), actual (.+)$/s.exec(m))
  if (messages.length === 1 || expected.some((m) => m === null)) return messages[0] ?? "is invalid"
  const wanted = expected.flatMap((m) => (m === null || m[1] === "undefined" || m[1] === "null" ? [] : [m[1]]))
  return `Expected ${wanted.join(" | ")}, actual ${expected[0]?.[2] ?? "?"}`
}

/** A row as the input of `TaskService.create`, or everything wrong with it, field by field. */
export const toCreateTask = (row: ImportRow, columns: ReadonlyArray<Column>): Either.Either<CreateTask, ReadonlyArray<RowError>> => {
  if (row.problem !== null) return Either.left([{ row: row.row, ...row.problem }])
  const v = row.values
  const errors: Array<RowError> = []
  const input: Record<string, unknown> = {}
  if (v.title !== undefined) input.title = v.title
  if (!blank(v.description)) input.description = v.description
  if (!blank(v.priority)) input.priority = typeof v.priority === "string" ? v.priority.trim().toLowerCase() : v.priority
  if (!blank(v.labels)) input.labels = labelsOf(v.labels)
  if (!blank(v.dueAt)) input.dueAt = typeof v.dueAt === "string" ? v.dueAt.trim() : v.dueAt
  if (!blank(v.estimate)) input.estimate = estimateOf(v.estimate)
  if (!blank(v.column)) {
    const name = String(v.column).trim().toLowerCase()
    const column = columns.find((c) => c.name.toLowerCase() === name)
    if (column === undefined) errors.push({ row: row.row, field: "column", message: `no column named "${String(v.column).trim()}" on the board` })
    else input.columnId = column.id
  }
  const decoded = decodeCreate(input, { errors: "all" })
  if (Either.isLeft(decoded)) {
    const byField = new Map<string | null, Array<string>>()
    for (const issue of ParseResult.ArrayFormatter.formatErrorSync(decoded.left)) {
      const field = issue.path[0] === undefined ? null : issue.path[0] === "columnId" ? "column" : String(issue.path[0])
      byField.set(field, [...(byField.get(field) ?? []), issue.message])
    }
    for (const [field, messages] of byField) errors.push({ row: row.row, field, message: oneMessage(messages) })
  }
  return errors.length > 0 || Either.isLeft(decoded) ? Either.left(errors) : Either.right(decoded.right)
}
