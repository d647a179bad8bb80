import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { isJsonType, isMultipartType, nestsDeeperThan } from "../../../src/http/RequestGuards.js"
import { matchOperation } from "../../../src/http/RouteTemplate.js"

describe("request guards", () => {
  it("measures nesting without parsing, ignoring brackets inside strings and escapes", () => {
    expect(nestsDeeperThan("[[[]]]", 3)).toBe(false)
    expect(nestsDeeperThan("[[[[]]]]", 3)).toBe(true)
    expect(nestsDeeperThan('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false)
    expect(nestsDeeperThan('{"a":{"b":[1,{"c":[]}]}}', 4)).toBe(true)
    expect(nestsDeeperThan(JSON.stringify({ title: "[[[[[[[[{{{{" }), 1)).toBe(false)
    expect(nestsDeeperThan(JSON.stringify({ title: 'quote \\" then [[[[' }), 1)).toBe(false)
    expect(nestsDeeperThan("[".repeat(20_000), 32)).toBe(true)
  })

  it("takes application/json, with no charset but UTF-8", () => {
    expect(["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"'].map(isJsonType)).toEqual([true, true, true, true])
    expect([undefined, "", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/jsonp", "application/vnd.x+json"].map(isJsonType)).toEqual(
      Array(7).fill(false)
    )
  })

  it("takes an upload as multipart/form-data with a boundary, and knows which operation is one", () => {
    expect(["multipart/form-data; boundary=abc", 'Multipart/Form-Data; charset=utf-8; boundary="a b"', "multipart/form-data;boundary=----x"].map(isMultipartType)).toEqual([true, true, true])
    expect([undefined, "multipart/form-data", "multipart/mixed; boundary=abc", "application/json", "multipart/form-data; boundary="].map(isMultipartType)).toEqual(Array(5).fill(false))
    const upload = matchOperation("POST", "/api/v1/tasks/0192b7c4-2f3e-7000-8000-000000000000/attachments")
    const comment = matchOperation("POST", "/api/v1/tasks/0192b7c4-2f3e-7000-8000-000000000000/comments")
    const kind = (m: typeof upload) => Option.match(m.operation, { onNone: () => null, onSome: (o) => ({ payload: o.payload, multipart: o.multipart }) })
    expect([upload, comment].map(kind)).toEqual([
      { payload: false, multipart: true },
      { payload: true, multipart: false }
    ])
  })
})
