import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either, Schema } from "effect"
import { codePoints, Email, Instant, isStorable, NonBlank, Text } from "../../../src/domain/Text.js"

const decode = <A, I>(schema: Schema.Schema<A, I>) => (input: unknown) => Either.getOrUndefined(Schema.decodeUnknownEither(schema)(input))

describe("request text", () => {
  it("is storable unless it holds U+0000 or an unpaired surrogate; pairs are fine", () => {
    expect(["", "plain", "\u{1F600} emoji", "tab\tand newline\n", "\uFFFD"].map(isStorable)).toEqual([true, true, true, true, true])
    expect(["a\u0000b", "\u0000", "x\ud800", "\ud800x", "x\udc00", "\udc00\ud800", "\ud83d"].map(isStorable)).toEqual(Array(7).fill(false))
  })

  it("counts characters as code points, as JSON Schema's maxLength does", () => {
    expect([codePoints(""), codePoints("abc"), codePoints("\u{1F600}"), codePoints("a\u{1F600}b"), codePoints("\ud800\ud800")]).toEqual([0, 3, 1, 3, 2])
    expect(decode(Text(2))("\u{1F600}\u{1F600}")).toBe("\u{1F600}\u{1F600}")
    expect(decode(Text(2))("\u{1F600}\u{1F600}x")).toBeUndefined()
    expect(decode(Text(3, 1))("")).toBeUndefined()
  })

  it("NonBlank trims what it stores and checks the limit on what was sent", () => {
    expect(decode(NonBlank(6))("  ab  ")).toBe("ab")
    expect(decode(NonBlank(5))("   ")).toBeUndefined()
    expect(decode(NonBlank(5))(" abc  ")).toBeUndefined()
    expect(decode(NonBlank(5))("a\u0000")).toBeUndefined()
  })

  it("an email is plain ASCII with a dotted domain, stored lower-cased", () => {
    expect(decode(Email)("Ann.Lee+work@Example.COM")).toBe("ann.lee+work@example.com")
    expect(["ann@localhost", " ann@example.com", "ann @example.com", "ann@exa mple.com", "änn@example.com", "@example.com", "ann@-x.com"].map(decode(Email))).toEqual(
      Array(7).fill(undefined)
    )
  })

  it("an instant is RFC 3339 with a four-digit year, and a real calendar date", () => {
    const at = (s: string) => decode(Instant)(s)
    expect(at("2026-12-05T09:00:00Z")?.pipe(DateTime.formatIso)).toBe("2026-12-05T09:00:00.000Z")
    expect(at("2026-12-05T10:00:00.5+01:00")?.pipe(DateTime.formatIso)).toBe("2026-12-05T09:00:00.500Z")
    expect(at("2024-02-29T00:00:00Z")).toBeDefined()
    expect(["2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-05", "Dec 5 2026", "+275760-09-13T00:00:00Z", "2026-12-05T25:00:00Z", "0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"].map(at)).toEqual(
      Array(10).fill(undefined)
    )
    expect(at("0001-01-01T00:00:00Z")).toBeDefined()
  })
})
