import { Schema } from "effect"
import { Timestamp } from "./Model.js"

/** `success`: the action happened. `failure`: it was attempted and refused (a wrong key). `denied`: a known caller went beyond their rights. */
export const AuditOutcome = Schema.Literal("success", "failure", "denied")
export type AuditOutcome = typeof AuditOutcome.Type

/** What changed, small and never secret: a before/after of the fields an action touched, or what identified the attempt. */
export const AuditDetails = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export type AuditDetails = typeof AuditDetails.Type

/** Who acted: the user and key behind the request, and the client address it came from. Any may be unknown. */
export interface AuditActor {
  readonly userId: string | null
  readonly keyId: string | null
  readonly address: string | null
}

/** An audit entry before it joins the chain: what the caller knows. */
export interface AuditDraft {
  readonly id: string
  readonly occurredAt: number
  readonly actor: AuditActor
  readonly action: string
  readonly targetType: string
  readonly targetId: string | null
  readonly outcome: AuditOutcome
  readonly correlationId: string | null
  readonly details: AuditDetails
}

/**
 * One row of the append-only audit trail. `seq` is its place in the chain (1, 2, …, without
 * gaps); `hash` is SHA-256 over its content and `prevHash`, the hash of the row before
 * (`src/audit/AuditChain.ts`), so a changed, inserted or removed row breaks every hash after it.
 */
export class AuditEvent extends Schema.Class<AuditEvent>("AuditEvent")({
  seq: Schema.Int.annotations({ description: "Position in the chain: 1, 2, 3… without gaps (retention removes the oldest)" }),
  id: Schema.String,
  occurredAt: Timestamp,
  actorUserId: Schema.NullOr(Schema.String),
  actorKeyId: Schema.NullOr(Schema.String),
  actorAddress: Schema.NullOr(Schema.String),
  action: Schema.String.annotations({ description: "What happened, e.g. `apikey.revoked`, `member.updated`, `auth.failed`" }),
  targetType: Schema.String,
  targetId: Schema.NullOr(Schema.String),
  outcome: AuditOutcome,
  correlationId: Schema.NullOr(Schema.String),
  details: AuditDetails,
  prevHash: Schema.String,
  hash: Schema.String.annotations({ description: "SHA-256 (hex) of this row's content and `prevHash`" })
}) {}
