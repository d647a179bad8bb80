import { describe, expect, it } from "@effect/vitest"
import { isJsonType, nestsDeeperThan } from "../../../src/http/RequestGuards.js"

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
})
