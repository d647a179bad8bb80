import { Either } from "effect"

/** A record of a CSV file and the line it starts on (1-based; a quoted field may span lines). */
export interface CsvRecord {
  readonly line: number
  readonly fields: ReadonlyArray<string>
}

export interface CsvError {
  readonly line: number
  readonly message: string
}

/**
 * RFC 4180 CSV: fields separated by commas, records by LF or CRLF; a field in double quotes may
 * hold commas, line breaks and `""` (one quote). A quote inside an unquoted field is taken as
 * it is (lenient, as spreadsheets write such fields); text after a closing quote other than a
 * separator is an error, as is an unterminated quote. A leading byte-order mark is ignored, and
 * so are empty lines between records.
 */
export const parseCsv = (text: string): Either.Either<ReadonlyArray<CsvRecord>, CsvError> => {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const records: Array<CsvRecord> = []
  let fields: Array<string> = []
  let field = ""
  let line = 1
  let recordLine = 1
  let i = 0
  let quotedLine = 0
  // Whether the current record has any content: an empty line is no record.
  let started = false

  const endRecord = () => {
    fields.push(field)
    if (started) records.push({ line: recordLine, fields })
    fields = []
    field = ""
    started = false
  }

  while (i < input.length) {
    const c = input[i]!
    if (c === '"' && field === "") {
      // A quoted field: read to its closing quote.
      started = true
      quotedLine = line
      i++
      for (;;) {
        if (i >= input.length) return Either.left({ line: quotedLine, message: "a quoted field is not closed" })
        const q = input[i]!
        if (q === '"') {
          if (input[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        if (q === "\n") line++
        field += q
        i++
      }
      const next = input[i]
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        return Either.left({ line, message: "unexpected text after a closing quote" })
      }
      continue
    }
    if (c === ",") {
      started = true
      fields.push(field)
      field = ""
      i++
      continue
    }
    if (c === "\r" || c === "\n") {
      endRecord()
      i += c === "\r" && input[i + 1] === "\n" ? 2 : 1
      line++
      recordLine = line
      continue
    }
    if (!started) recordLine = line
    started = true
    field += c
    i++
  }
  if (started || fields.length > 0) endRecord()
  return Either.right(records)
}
