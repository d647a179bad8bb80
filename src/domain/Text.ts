import { DateTime, Option, ParseResult, Schema } from "effect"

/**
 * Request text, as the server checks it and as the OpenAPI document states it. Every string a
 * request carries is built from these, so that:
 *
 * - it can be stored: Postgres refuses U+0000 in `text` and `jsonb`, and a lone UTF-16
 *   surrogate is not Unicode at all (JSON.stringify writes it as a `\ud800` escape, which
 *   `jsonb` refuses). Without this check such a string reached the database and came back as
 *   a 500; now it is a 400 naming the field.
 * - its constraints live on the wire (encoded) side, where JSON Schema can express them: a
 *   limit placed after a transformation (trimming) never reached the document.
 * - lengths count code points, as JSON Schema's `maxLength` does (and ajv with it), not UTF-16
 *   code units as `String.length` does: an emoji is one character to a client's validator, so
 *   it is one here too.
 */

/** JSON Schema for "no U+0000, no lone surrogate" (ECMA-262 with the `u` flag, as JSON Schema reads patterns). */
const STORABLE_PATTERN = "^[^\\u0000\\uD800-\\uDFFF]*$"

// Without the `u` flag a regex sees code units: a high surrogate not followed by a low one, or a
// low one not preceded by a high one, is unpaired.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export const isStorable = (s: string): boolean => !UNSTORABLE.test(s)

/** Code points, not UTF-16 code units. */
export const codePoints = (s: string): number => {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // A high surrogate followed by a low one is one character; the pair was counted twice.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

const storable = <S extends Schema.Schema.Any>(self: S) =>
  self.pipe(
    Schema.filter((s: string) => isStorable(s), {
      message: () => "must not contain U+0000 or an unpaired UTF-16 surrogate",
      jsonSchema: { pattern: STORABLE_PATTERN }
    })
  )

const maxChars = (max: number) => <S extends Schema.Schema.Any>(self: S) =>
  self.pipe(
    Schema.filter((s: string) => codePoints(s) <= max, {
      message: () => `must be at most ${max} characters`,
      jsonSchema: { maxLength: max }
    })
  )

const minChars = (min: number) => <S extends Schema.Schema.Any>(self: S) =>
  self.pipe(
    Schema.filter((s: string) => codePoints(s) >= min, {
      message: () => `must be at least ${min} characters`,
      jsonSchema: { minLength: min }
    })
  )

/** Any storable text of at most `max` characters (may be empty). */
export const Text = (max: number, min = 0) =>
  (min > 0 ? Schema.String.pipe(storable, maxChars(max), minChars(min)) : Schema.String.pipe(storable, maxChars(max))).annotations({
    description: `Text of ${min > 0 ? `${min} to ` : "at most "}${max} characters, without U+0000 or unpaired surrogates`
  })

/**
 * Text with something besides white space, stored trimmed. The limit applies to the text as
 * sent, so a client can check it before sending.
 */
export const NonBlank = (max: number) =>
  Schema.transform(
    Text(max).pipe(
      Schema.filter((s) => s.trim() !== "", { message: () => "must not be blank", jsonSchema: { pattern: "\\S" } })
    ).annotations({ description: `Up to ${max} characters, not only white space (stored trimmed)` }),
    Schema.String,
    { strict: true, decode: (s) => s.trim(), encode: (s) => s }
  )

/**
 * An email address, stored lower-cased. Deliberately plain: an ASCII local part and a dotted
 * domain, which is what `format: email` validators accept, so the document and the server agree.
 */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/
export const Email = Schema.transform(
  Schema.String.pipe(
    Schema.maxLength(254),
    Schema.pattern(EMAIL, { message: () => "must be an email address", jsonSchema: { pattern: EMAIL.source, format: "email" } })
  ).annotations({ description: "An email address (ASCII), at most 254 characters; stored lower-cased" }),
  Schema.String,
  { strict: true, decode: (s) => s.toLowerCase(), encode: (s) => s }
)

/**
 * A moment as RFC 3339 (`2026-12-05T09:00:00Z`, offsets allowed): what `format: date-time`
 * means, with a four-digit year from 0001, which keeps it inside the timestamp range of Postgres and
 * of PGlite (which refuses years 0 and 10000, also when an offset reaches them). Looser forms
 * that `Date` would parse ("Dec 5 2026", years beyond 9999 or before 1) are refused.
 */
const daysIn = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** `Date` rolls 2026-02-30 over into March; a client that sent it meant something else. */
const isCalendarDate = (s: string): boolean => {
  const [year, month, day] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))]
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)
}

const RFC3339 = /^(?!0000)\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/
export const Instant = Schema.transformOrFail(
  Schema.String.pipe(
    Schema.pattern(RFC3339, {
      message: () => "must be an RFC 3339 date-time, e.g. 2026-12-05T09:00:00Z",
      jsonSchema: { pattern: RFC3339.source, format: "date-time" }
    })
  ).annotations({
    description: "An RFC 3339 date-time with a four-digit year (0001-9999), e.g. 2026-12-05T09:00:00Z"
  }),
  Schema.DateTimeUtcFromSelf,
  {
    strict: true,
    decode: (s, _, ast) => {
      const parsed = DateTime.make(s)
      const utc = Option.map(parsed, DateTime.toUtc)
      const year = Option.map(utc, (d) => DateTime.getPartUtc(d, "year"))
      return Option.isSome(utc) && isCalendarDate(s) && Option.exists(year, (y) => y >= 1 && y <= 9999)
        ? ParseResult.succeed(utc.value)
        : ParseResult.fail(new ParseResult.Type(ast, s, "must be a real date and time"))
    },
    encode: (d) => ParseResult.succeed(DateTime.formatIso(d))
  }
)
