import { FastCheck as fc, Option } from "effect"
import type { Operation } from "./Contract.js"
import { isObject, type Json, Raw, Ref } from "./Json.js"
import { fieldBounds } from "./Shapes.js"
import { fieldNames, wireValue } from "./Values.js"

/*
 * Query parameters and headers: generated from their schemas, and when they are the part to
 * break, broken.
 */

/** A query value: `Raw` goes in as it is (a malformed escape), a string is percent-encoded. */
export type QueryValue = string | Raw

const BAD_QUERY_TEXT: ReadonlyArray<string> = ["", " ", "abc", "-1", "0", "0.5", "1e309", "1e3", "99999999999999999999", "NaN", "Infinity", "-0", "0x10", " 5", "\u0000", "a\u0000b", "2024-13-45T00:00:00Z", "+275760-09-13T00:00:00.001Z", "-271821-04-20T00:00:00.000Z", "ACTIVE", "😀"]
const BAD_QUERY_RAW: ReadonlyArray<string> = ["%00", "a%00b", "%ED%A0%80", "%EF%BF%BD", "%ZZ", "%", "%C0%AF", "%FF", "%E2%82"]

const toQuery = (value: Json): Array<readonly [string, QueryValue]> =>
  isObject(value)
    ? Object.entries(value).flatMap(([k, v]) => (Array.isArray(v) ? v.map((item: Json) => [k, String(item)] as const) : [[k, String(v)] as const]))
    : []

export const queryArb = (op: Operation, broken: boolean): fc.Arbitrary<readonly [ReadonlyArray<readonly [string, QueryValue]>, string | undefined]> =>
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

type Headers = readonly [Readonly<Record<string, string | Ref>>, string | undefined]

/** `X-Request-Id` as clients send it: kept when well-formed, replaced otherwise; the error body's `correlationId` must be the one answered. */
const REQUEST_IDS = ["", "short", "a".repeat(128), "a".repeat(129), "../../etc/passwd", "id with spaces", "0192b7c4-2f3e-7000-8000-000000000000", "é-é-é-é-é"]
const badRequestId: fc.Arbitrary<Headers> = fc.constantFrom(...REQUEST_IDS).map((id) => [{ "x-request-id": id }, "header:requestId"] as const)

const declaredHeaders = (op: Operation, broken: boolean): fc.Arbitrary<Headers> =>
  Option.match(op.headers, {
    onNone: () => fc.constant<Headers>([{}, undefined]),
    onSome: (schema) => {
      const names = fieldNames(schema.ast)
      return fc
        .record({ value: wireValue(schema), name: fc.constantFrom(...names), what: fc.nat() })
        .map(({ name, value, what }): Headers => {
          const headers: Record<string, string | Ref> = {}
          if (isObject(value.value)) for (const [k, v] of Object.entries(value.value)) headers[k] = String(v)
          if (!broken && name === "last-event-id" && what % 2 === 0) return [{ ...headers, [name]: new Ref("event", what) }, undefined]
          if (broken) {
            const bad = ["", " ", "x".repeat(200), "x".repeat(201), "é", "not-a-uuid", "0192B7C4-2F3E-7000-8000-000000000000"][what % 7]!
            return [{ ...headers, [name]: bad }, "header:badValue"]
          }
          return [headers, value.side === "encoded" ? "header:encodedSide" : undefined]
        })
    }
  })

/** The operation's declared headers; when headers are the part to break, one of them, or the request id. */
export const headersArb = (op: Operation, broken: boolean): fc.Arbitrary<Headers> =>
  broken && Option.isSome(op.headers) ? fc.oneof(declaredHeaders(op, true), badRequestId) : broken ? badRequestId : declaredHeaders(op, false)
