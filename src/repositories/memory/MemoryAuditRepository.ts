import { DateTime, Effect, Layer } from "effect"
import type { AuditEvent } from "../../domain/Audit.js"
import { link } from "../../audit/AuditChain.js"
import { AuditRepository, type AuditQuery } from "../AuditRepository.js"
import { MemoryStore, ok } from "./MemoryStore.js"

/** The SQL adapter's `WHERE`, as a predicate. */
export const matches = (query: AuditQuery) => (row: AuditEvent): boolean =>
  (query.actor === null || row.actorUserId === query.actor || row.actorKeyId === query.actor || row.actorAddress === query.actor) &&
  (query.action === null ||
    (query.action.endsWith(".*") ? row.action.startsWith(query.action.slice(0, -1)) : row.action === query.action)) &&
  (query.targetType === null || row.targetType === query.targetType) &&
  (query.targetId === null || row.targetId === query.targetId) &&
  (query.since === null || DateTime.greaterThanOrEqualTo(row.occurredAt, query.since)) &&
  (query.until === null || DateTime.lessThan(row.occurredAt, query.until))

export const MemoryAuditRepository = Layer.effect(
  AuditRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return AuditRepository.of({
      // A statement is atomic in the fake: reading the head and appending cannot interleave.
      append: (drafts) =>
        store.write((t) => {
          if (drafts.length === 0) return ok([], t)
          const head = t.audit[t.audit.length - 1] ?? null
          const rows = link(head, drafts)
          return ok(rows, { ...t, audit: [...t.audit, ...rows] })
        }),
      list: (query, page) =>
        store.read((t) => {
          const keep = matches(query)
          const out: Array<AuditEvent> = []
          for (let i = t.audit.length - 1; i >= 0 && out.length < page.limit; i--) {
            const row = t.audit[i]!
            if ((page.before === null || row.seq < page.before) && keep(row)) out.push(row)
          }
          return out
        }),
      ascending: (query, page) =>
        store.read((t) => {
          const keep = matches(query)
          return t.audit.filter((row) => row.seq > page.after && keep(row)).slice(0, page.limit)
        }),
      prune: (before, limit) =>
        store.write((t) => {
          let n = 0
          // The oldest rows first, never the newest.
          while (n < limit && n < t.audit.length - 1 && DateTime.lessThan(t.audit[n]!.occurredAt, before)) n += 1
          return ok({ deleted: n, last: n === 0 ? null : t.audit[n - 1]! }, { ...t, audit: t.audit.slice(n) })
        })
    })
  })
)
