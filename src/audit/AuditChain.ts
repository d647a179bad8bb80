/**
 * The audit trail's hash chain. Each row's hash is SHA-256 over a canonical serialisation of its
 * content and the previous row's hash; the first row of a fresh trail follows `GENESIS`.
 * Changing any stored field, or removing or inserting a row, breaks the chain at that row: the
 * verifier recomputes every hash and names the first row that does not match.
 *
 * Canonical means independent of how the store hands the row back: the time as epoch
 * milliseconds, and `details` as JSON with object keys sorted (jsonb reorders them).
 */
import { createHash } from "node:crypto"
import { DateTime } from "effect"
import { AuditEvent, type AuditDraft } from "../domain/Audit.js"

export const GENESIS = "0".repeat(64)

/** JSON with every object's keys in sorted order, so equal values serialise equally. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`
}

type Hashed = Omit<AuditEvent, "hash">

export const hashOf = (row: Hashed): string =>
  createHash("sha256")
    .update(
      canonicalJson([
        row.seq,
        row.id,
        DateTime.toEpochMillis(row.occurredAt),
        row.actorUserId,
        row.actorKeyId,
        row.actorAddress,
        row.action,
        row.targetType,
        row.targetId,
        row.outcome,
        row.correlationId,
        row.details,
        row.prevHash
      ])
    )
    .digest("hex")

/** The end of the chain as stored: where the next row attaches. */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
}

/** The drafts as the rows that follow `head` (or start a trail), in order. */
export const link = (head: ChainHead | null, drafts: ReadonlyArray<AuditDraft>): ReadonlyArray<AuditEvent> => {
  let seq = head?.seq ?? 0
  let prevHash = head?.hash ?? GENESIS
  return drafts.map((draft) => {
    seq += 1
    const content: Hashed = {
      seq,
      id: draft.id,
      occurredAt: DateTime.unsafeMake(draft.occurredAt),
      actorUserId: draft.actor.userId,
      actorKeyId: draft.actor.keyId,
      actorAddress: draft.actor.address,
      action: draft.action,
      targetType: draft.targetType,
      targetId: draft.targetId,
      outcome: draft.outcome,
      correlationId: draft.correlationId,
      details: draft.details,
      prevHash
    }
    const row = new AuditEvent({ ...content, hash: hashOf(content) }, true)
    prevHash = row.hash
    return row
  })
}

/** Why a row breaks the chain. */
export type Break =
  | { readonly reason: "hash"; readonly row: AuditEvent; readonly computed: string }
  | { readonly reason: "link"; readonly row: AuditEvent; readonly expectedPrevHash: string }
  | { readonly reason: "gap"; readonly row: AuditEvent; readonly expectedSeq: number }

/**
 * Checks one row against the one verified before it: its own hash, its link, no gap in `seq`.
 * With `null` (the first row seen) only its own hash: whether its `prevHash` is right is the
 * caller's to say (genesis, or the retention record: `AuditTrail.verify`). `null` when it holds.
 */
export const check = (previous: ChainHead | null, row: AuditEvent): Break | null => {
  if (previous !== null && row.seq !== previous.seq + 1) return { reason: "gap", row, expectedSeq: previous.seq + 1 }
  if (previous !== null && row.prevHash !== previous.hash) return { reason: "link", row, expectedPrevHash: previous.hash }
  const computed = hashOf(row)
  return computed === row.hash ? null : { reason: "hash", row, computed }
}

export const describeBreak = (broken: Break): string => {
  const at = `row seq ${broken.row.seq} (id ${broken.row.id}, ${broken.row.action})`
  switch (broken.reason) {
    case "hash":
      return `${at}: its content does not match its hash (stored ${broken.row.hash}, computed ${broken.computed})`
    case "link":
      return `${at}: its prevHash ${broken.row.prevHash} is not the previous row's hash ${broken.expectedPrevHash}`
    case "gap":
      return `${at}: expected seq ${broken.expectedSeq}; the rows between are missing`
  }
}
