import { describe, expect } from "@effect/vitest"
import { DateTime, Effect, Exit } from "effect"
import { check, GENESIS } from "../../src/audit/AuditChain.js"
import type { AuditDraft } from "../../src/domain/Audit.js"
import { uuidv7 } from "../../src/domain/Ids.js"
import { AuditRepository, everything } from "../../src/repositories/AuditRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { unique } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** Real time unless given: retention tests below use times in 1970, which nothing else does. */
const aDraft = (fields: Partial<AuditDraft> = {}): AuditDraft => ({
  id: uuidv7(),
  occurredAt: Date.now(),
  actor: { userId: null, keyId: null, address: "192.0.2.1" },
  action: "test.acted",
  targetType: "thing",
  targetId: `t-${unique()}`,
  outcome: "success",
  correlationId: "corr-audit",
  details: { after: { role: "editor", nested: { b: 1, a: [1, "two", null] } } },
  ...fields
})

/** The append-only, hash-chained audit trail: what `flowboard audit verify` relies on. */
export const auditContract = (it: ContractIt) =>
  describe("AuditRepository", () => {
    // First: retention works on the oldest rows, and this layer's trail starts empty.
    it.effect("retention deletes the oldest rows before the cutoff (a prefix of the chain), never the newest, and says which was last", () =>
      Effect.gen(function* () {
        const audit = yield* AuditRepository
        const tx = yield* Transactor
        const old = yield* audit.append([aDraft({ occurredAt: 1_000 }), aDraft({ occurredAt: 2_000 })])
        // A row stamped late (a skewed clock), then one stamped early: the early one is after the
        // first row at the cutoff in the chain, so it stays, or the chain would have a hole.
        yield* audit.append([aDraft()])
        const [straggler] = yield* audit.append([aDraft({ occurredAt: 2_500 })])
        yield* audit.append([aDraft()])
        const gone = yield* tx.transaction(audit.prune(DateTime.unsafeMake(5_000), 1_000))
        expect(gone.deleted).toBe(2)
        expect(gone.last).toStrictEqual(old[1])
        expect((yield* audit.list({ ...everything, until: DateTime.unsafeMake(5_000) }, { limit: 10, before: null })).map((row) => row.id)).toEqual([straggler!.id])
        expect((yield* tx.transaction(audit.prune(DateTime.unsafeMake(5_000), 1_000))).deleted).toBe(0)
      }))

    it.effect("appends rows that chain onto the stored head, gap-free, and reads them back exactly as hashed", () =>
      Effect.gen(function* () {
        const audit = yield* AuditRepository
        const target = `t-${unique()}`
        const first = yield* audit.append([aDraft({ targetId: target })])
        const more = yield* audit.append([aDraft({ targetId: target, details: { "z": 1, "a": { "y": true, "x": "ü" } } }), aDraft({ targetId: target, outcome: "denied" })])
        const rows = [...first, ...more]
        expect(rows.map((row) => row.seq - rows[0]!.seq)).toEqual([0, 1, 2])
        expect(more[0]!.prevHash).toBe(first[0]!.hash)
        const stored = yield* audit.ascending({ ...everything, targetId: target }, { limit: 10, after: 0 })
        expect(stored).toStrictEqual(rows)
        // Every stored row still hashes to what it says, links to the one before, and the chain starts at genesis.
        for (let i = 1; i < stored.length; i++) expect(check({ seq: stored[i - 1]!.seq, hash: stored[i - 1]!.hash }, stored[i]!)).toBeNull()
        // Past nine rows, seq order is numeric order (a text sort would put 10 before 9).
        const many = yield* audit.append(Array.from({ length: 12 }, () => aDraft({ targetId: target })))
        expect((yield* audit.list({ ...everything, targetId: target }, { limit: 20, before: null })).map((row) => row.seq)).toEqual([...rows, ...many].map((row) => row.seq).reverse())
        // The whole stored trail holds together: the first row's own hash, every link after it
        // (retention, tested first, removed the rows before it, so its prevHash is not genesis).
        const trail = yield* audit.ascending(everything, { limit: 1_000, after: 0 })
        expect(trail.map((row, i) => check(i === 0 ? null : { seq: trail[i - 1]!.seq, hash: trail[i - 1]!.hash }, row))).toEqual(trail.map(() => null))
        expect(trail[0]!.prevHash).not.toBe(GENESIS)
      }))

    it.effect("rolls back with the unit of work it was appended in", () =>
      Effect.gen(function* () {
        const audit = yield* AuditRepository
        const tx = yield* Transactor
        const target = `t-${unique()}`
        const failed = yield* Effect.exit(tx.transaction(Effect.zipRight(audit.append([aDraft({ targetId: target })]), Effect.fail("abort" as const))))
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* audit.list({ ...everything, targetId: target }, { limit: 10, before: null })).toEqual([])
        // The head did not move: the next row continues the chain without a gap.
        const [head] = yield* audit.list(everything, { limit: 1, before: null })
        const [next] = yield* audit.append([aDraft({ targetId: target })])
        expect(next!.seq).toBe((head?.seq ?? 0) + 1)
      }))

    it.effect("filters by actor (user, key or address), action or action prefix, target and time; pages newest first", () =>
      Effect.gen(function* () {
        const audit = yield* AuditRepository
        const user = `u-${unique()}`
        const t0 = Date.now()
        const rows = yield* audit.append([
          aDraft({ actor: { userId: user, keyId: "k-1", address: "198.51.100.7" }, action: "apikey.issued", occurredAt: t0 }),
          aDraft({ actor: { userId: user, keyId: "k-1", address: "198.51.100.7" }, action: "apikey.revoked", occurredAt: t0 + 1000 }),
          aDraft({ actor: { userId: user, keyId: "k-2", address: "198.51.100.8" }, action: "member.added", occurredAt: t0 + 2000 }),
          aDraft({ actor: { userId: user, keyId: "k-2", address: "198.51.100.8" }, action: "apikey_x.issued", occurredAt: t0 + 3000 })
        ])
        const seqs = (found: ReadonlyArray<{ readonly seq: number }>) => found.map((row) => row.seq - rows[0]!.seq)
        const mine = { ...everything, actor: user }
        expect(seqs(yield* audit.list(mine, { limit: 10, before: null }))).toEqual([3, 2, 1, 0])
        expect(seqs(yield* audit.list({ ...mine, action: "apikey.*" }, { limit: 10, before: null }))).toEqual([1, 0])
        expect(seqs(yield* audit.list({ ...mine, action: "member.added" }, { limit: 10, before: null }))).toEqual([2])
        expect(seqs(yield* audit.list({ ...everything, actor: "198.51.100.8", since: DateTime.unsafeMake(t0) }, { limit: 10, before: null }))).toEqual([3, 2])
        expect(seqs(yield* audit.list({ ...everything, actor: "k-1" }, { limit: 10, before: null }))).toEqual([1, 0])
        expect(seqs(yield* audit.list({ ...mine, since: DateTime.unsafeMake(t0 + 1000), until: DateTime.unsafeMake(t0 + 3000) }, { limit: 10, before: null }))).toEqual([2, 1])
        expect(seqs(yield* audit.list({ ...everything, targetType: "thing", targetId: rows[2]!.targetId }, { limit: 10, before: null }))).toEqual([2])
        // Keyset pages: two, then the rest below the last seq seen.
        const page1 = yield* audit.list(mine, { limit: 2, before: null })
        const page2 = yield* audit.list(mine, { limit: 2, before: page1[1]!.seq })
        expect([...seqs(page1), ...seqs(page2)]).toEqual([3, 2, 1, 0])
        expect(seqs(yield* audit.ascending(mine, { limit: 3, after: rows[0]!.seq }))).toEqual([1, 2, 3])
      }))

  })
