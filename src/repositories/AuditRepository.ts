import { Context, type DateTime, type Effect } from "effect"
import type { AuditDraft, AuditEvent } from "../domain/Audit.js"
import type { RepositoryError } from "../domain/Errors.js"

export interface AuditQuery {
  /** A user id, key id or client address: rows whose actor is it. */
  readonly actor: string | null
  /** An exact action, or a prefix ending in `.*` (`apikey.*`). */
  readonly action: string | null
  readonly targetType: string | null
  readonly targetId: string | null
  /** Inclusive lower and exclusive upper bound on `occurredAt`. */
  readonly since: DateTime.Utc | null
  readonly until: DateTime.Utc | null
}

/**
 * The audit trail: append-only. `append` chains new rows onto the stored head (AuditChain.ts)
 * under a lock, in the caller's unit of work when there is one, so an action and its audit row
 * commit together. No method changes a stored row; the SQL table refuses `UPDATE` and `DELETE`
 * outright, except for `prune` (migrations/0007_audit.ts).
 */
export class AuditRepository extends Context.Tag("flowboard/AuditRepository")<
  AuditRepository,
  {
    readonly append: (drafts: ReadonlyArray<AuditDraft>) => Effect.Effect<ReadonlyArray<AuditEvent>, RepositoryError>
    /** Matching rows, newest first: `limit` rows with `seq` below `before` (all when `null`). */
    readonly list: (query: AuditQuery, page: { readonly limit: number; readonly before: number | null }) => Effect.Effect<ReadonlyArray<AuditEvent>, RepositoryError>
    /** Matching rows, oldest first: `limit` rows with `seq` above `after`. For exports and verification. */
    readonly ascending: (query: AuditQuery, page: { readonly limit: number; readonly after: number }) => Effect.Effect<ReadonlyArray<AuditEvent>, RepositoryError>
    /**
     * Retention: deletes up to `limit` of the oldest rows that occurred before `before` — a prefix
     * of the chain, so it stops at the first row at or after the cutoff, and never deletes the
     * newest row (the next append chains onto it). Returns the last row deleted, if any.
     */
    readonly prune: (before: DateTime.Utc, limit: number) => Effect.Effect<{ readonly deleted: number; readonly last: AuditEvent | null }, RepositoryError>
  }
>() {}

export const everything: AuditQuery = { actor: null, action: null, targetType: null, targetId: null, since: null, until: null }
