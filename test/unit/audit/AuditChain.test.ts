import { describe, expect, it } from "@effect/vitest"
import { DateTime } from "effect"
import { canonicalJson, check, GENESIS, hashOf, link } from "../../../src/audit/AuditChain.js"
import { AuditEvent, type AuditDraft } from "../../../src/domain/Audit.js"

const draft = (n: number, details: Record<string, unknown> = { after: { n } }): AuditDraft => ({
  id: `00000000-0000-7000-8000-${String(n).padStart(12, "0")}`,
  occurredAt: 1_700_000_000_000 + n,
  actor: { userId: "u", keyId: "k", address: "192.0.2.1" },
  action: "member.updated",
  targetType: "project",
  targetId: "p",
  outcome: "success",
  correlationId: null,
  details
})

describe("the audit hash chain", () => {
  it("serialises equal values equally, whatever the key order (jsonb reorders keys)", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: null, e: "x" }], c: true } })).toBe(canonicalJson({ a: { c: true, d: [1, { e: "x", f: null }] }, b: 1 }))
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }))
  })

  it("links each row to the one before, from genesis or from a head", () => {
    const rows = link(null, [draft(1), draft(2), draft(3)])
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3])
    expect(rows[0]!.prevHash).toBe(GENESIS)
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash)
    const more = link({ seq: 3, hash: rows[2]!.hash }, [draft(4)])
    expect(more[0]).toMatchObject({ seq: 4, prevHash: rows[2]!.hash })
    for (const [previous, row] of [[null, rows[0]!], [rows[0]!, rows[1]!], [rows[2]!, more[0]!]] as const) expect(check(previous, row)).toBeNull()
  })

  it("names every kind of tampering: changed content, a forged hash over changed content, a removed row", () => {
    const [a, b, c] = link(null, [draft(1), draft(2), draft(3)])
    const changed = new AuditEvent({ ...b!, details: { after: { n: 99 } } })
    expect(check(a!, changed)).toMatchObject({ reason: "hash" })
    // Re-hashing the changed row fixes its own hash but breaks the next row's link.
    const forged = new AuditEvent({ ...changed, hash: hashOf(changed) })
    expect(check(a!, forged)).toBeNull()
    expect(check(forged, c!)).toMatchObject({ reason: "link", expectedPrevHash: forged.hash })
    expect(check(a!, c!)).toMatchObject({ reason: "gap", expectedSeq: 2 })
    // Any field counts: the time, the actor's address, the outcome.
    expect(check(a!, new AuditEvent({ ...b!, occurredAt: DateTime.unsafeMake(0) }))).toMatchObject({ reason: "hash" })
    expect(check(a!, new AuditEvent({ ...b!, actorAddress: "203.0.113.9" }))).toMatchObject({ reason: "hash" })
    expect(check(a!, new AuditEvent({ ...b!, outcome: "denied" }))).toMatchObject({ reason: "hash" })
  })
})
