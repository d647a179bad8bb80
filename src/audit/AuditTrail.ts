/**
 * The audit trail's service: what the rest of the application calls to record and read it.
 *
 * - `record` appends in the caller's unit of work (an action and its audit row commit together).
 *   Most actions do not call it: their domain events are audited by the outbox (AuditedEvents.ts).
 * - `note` is for what happens outside any unit of work (a refused key, a block, a denied scope):
 *   it queues the entry and returns at once; a background fiber appends queued entries in
 *   batches. The queue is bounded: under a flood the excess is dropped and counted, and the
 *   next batch records how many (`audit.dropped`), so a gap is itself on the record.
 * - `verify` walks the chain (AuditChain.ts) and names the first row that breaks it.
 */
import { Chunk, DateTime, Duration, Effect, FiberRef, Metric, Option, Queue, Schedule, Stream, SubscriptionRef } from "effect"
import type { Actor } from "../domain/Actor.js"
import type { AuditActor, AuditDetails, AuditDraft, AuditEvent, AuditOutcome } from "../domain/Audit.js"
import type { RepositoryError } from "../domain/Errors.js"
import { uuidv7 } from "../domain/Ids.js"
import { CurrentClientAddress, CurrentRequest } from "../observability/RequestContext.js"
import { AuditRepository, type AuditQuery, everything } from "../repositories/AuditRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { countSecurityEvent } from "../security/SecurityEvents.js"
import { type Break, check, describeBreak, GENESIS } from "./AuditChain.js"

/** What a caller says about an action; who did it and when are filled in. */
export interface AuditEntry {
  readonly action: string
  readonly targetType: string
  readonly targetId: string | null
  readonly outcome?: AuditOutcome
  readonly details?: AuditDetails
}

/** The actor as the audit trail records it: the key's user and id, and the request's client address. */
export const auditActor = (actor: Actor | null): Effect.Effect<AuditActor> =>
  Effect.map(FiberRef.get(CurrentClientAddress), (address) => ({ userId: actor?.user.id ?? null, keyId: actor?.keyId ?? null, address }))

/** A draft for the current request (its correlation id) at the current time. */
export const draftOf = (who: AuditActor, entry: AuditEntry): Effect.Effect<AuditDraft> =>
  Effect.gen(function* () {
    const request = yield* FiberRef.get(CurrentRequest)
    const now = yield* DateTime.now
    return {
      id: uuidv7(),
      occurredAt: DateTime.toEpochMillis(now),
      actor: who,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      outcome: entry.outcome ?? "success",
      correlationId: request.correlationId,
      details: entry.details ?? {}
    }
  })

const auditDropped = Metric.counter("flowboard_audit_dropped_total", {
  description: "Security audit entries dropped because the audit writer's queue was full (the next batch records how many)",
  incremental: true
})
const auditWriteFailures = Metric.counter("flowboard_audit_write_failures_total", {
  description: "Batches of security audit entries the writer could not append after retrying",
  incremental: true
})

/** Entries queued for the writer at most; past it `note` drops and counts. */
const QUEUE_CAPACITY = 4096
const BATCH = 256

export interface VerifyReport {
  readonly rows: number
  readonly firstSeq: number | null
  readonly lastSeq: number | null
  readonly headHash: string | null
  /** How the first row's link was checked: from the start of the trail, or from a retention record. */
  readonly anchoredBy: "genesis" | "retention" | "none"
  readonly problem: string | null
}

/** Deletes audit rows older than `before`, a batch per unit of work, each with an `audit.pruned` row saying what went. */
export const pruneAuditTrail = (before: DateTime.Utc, batch = 5_000): Effect.Effect<number, RepositoryError, AuditRepository | Transactor> =>
  Effect.gen(function* () {
    const repository = yield* AuditRepository
    const tx = yield* Transactor
    // Only rows that existed when it started: never the audit.pruned rows it writes itself.
    const [head] = yield* repository.list(everything, { limit: 1, before: null })
    if (head === undefined) return 0
    let total = 0
    for (;;) {
      const deleted = yield* tx.transaction(
        Effect.gen(function* () {
          const gone = yield* repository.prune(before, batch)
          if (gone.last !== null) {
            const draft = yield* draftOf({ userId: null, keyId: null, address: null }, {
              action: "audit.pruned",
              targetType: "audit",
              targetId: null,
              details: { before: DateTime.formatIso(before), deleted: gone.deleted, throughSeq: gone.last.seq, lastHash: gone.last.hash }
            })
            yield* repository.append([draft])
          }
          return { deleted: gone.deleted, through: gone.last?.seq ?? 0 }
        })
      )
      total += deleted.deleted
      if (deleted.deleted < batch || deleted.through >= head.seq - 1) return total
    }
  })

export class AuditTrail extends Effect.Service<AuditTrail>()("flowboard/AuditTrail", {
  scoped: Effect.gen(function* () {
    const repository = yield* AuditRepository
    const queue = yield* Effect.acquireRelease(Queue.dropping<AuditDraft>(QUEUE_CAPACITY), Queue.shutdown)
    const pending = yield* SubscriptionRef.make(0)
    let dropped = 0

    const write = (batch: ReadonlyArray<AuditDraft>) =>
      Effect.gen(function* () {
        const lost = dropped
        dropped = 0
        const gap = lost === 0
          ? []
          : [yield* draftOf({ userId: null, keyId: null, address: null }, { action: "audit.dropped", targetType: "audit", targetId: null, outcome: "failure", details: { dropped: lost } })]
        yield* repository.append([...gap, ...batch]).pipe(
          Effect.retry(Schedule.exponential(Duration.millis(100)).pipe(Schedule.intersect(Schedule.recurs(5)))),
          Effect.catchAll((error) =>
            Effect.zipRight(
              Metric.incrementBy(auditWriteFailures, 1),
              Effect.logError(`audit: ${batch.length} security entries could not be written`, error).pipe(Effect.annotateLogs({ kind: "security", event: "audit_write_failed" }))
            )
          )
        )
        yield* SubscriptionRef.update(pending, (n) => n - batch.length)
      })

    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, BATCH), (chunk) => write([...chunk]))))

    const flush: Effect.Effect<void> = pending.changes.pipe(Stream.takeUntil((n) => n <= 0), Stream.runDrain)
    // Shutdown: what was queued is written first, within a bound.
    yield* Effect.addFinalizer(() => Effect.timeout(flush, Duration.seconds(5)).pipe(Effect.ignore))

    const verify: Effect.Effect<VerifyReport, RepositoryError> = Effect.gen(function* () {
      let previous: { readonly seq: number; readonly hash: string } | null = null
      let first: AuditEvent | null = null
      let anchoredBy: VerifyReport["anchoredBy"] = "none"
      let rows = 0
      let broken: Break | null = null
      let problem: string | null = null
      for (;;) {
        const page: ReadonlyArray<AuditEvent> = yield* repository.ascending(everything, { limit: 1000, after: previous?.seq ?? 0 })
        for (const row of page) {
          if (first === null) {
            first = row
            const anchor = row.seq === 1 ? GENESIS : yield* retentionAnchor(row.seq - 1)
            anchoredBy = row.seq === 1 ? "genesis" : anchor === null ? "none" : "retention"
            if (anchor === null) problem = `row seq ${row.seq} (id ${row.id}) is the first: rows 1 to ${row.seq - 1} are missing and no audit.pruned entry records their removal`
            else if (row.prevHash !== anchor) problem = `row seq ${row.seq} (id ${row.id}): its prevHash ${row.prevHash} is not ${anchor === GENESIS ? "the genesis hash" : `the hash of the last pruned row (${anchor})`}`
          }
          broken = check(previous, row)
          if (broken !== null) break
          previous = { seq: row.seq, hash: row.hash }
          rows += 1
        }
        if (broken !== null || page.length < 1000) break
      }
      return {
        rows,
        firstSeq: first?.seq ?? null,
        lastSeq: previous?.seq ?? null,
        headHash: previous?.hash ?? null,
        anchoredBy,
        problem: broken !== null ? describeBreak(broken) : problem
      }
    })

    /** The hash of row `seq` as the retention entry that deleted it recorded it, if one did. */
    const retentionAnchor = (seq: number): Effect.Effect<string | null, RepositoryError> =>
      Effect.gen(function* () {
        let before: number | null = null
        for (;;) {
          const page: ReadonlyArray<AuditEvent> = yield* repository.list({ ...everything, action: "audit.pruned" }, { limit: 100, before })
          for (const row of page) if (row.details["throughSeq"] === seq && typeof row.details["lastHash"] === "string") return row.details["lastHash"]
          if (page.length < 100) return null
          before = page[page.length - 1]!.seq
        }
      })

    return {
      record: (actor: Actor | null, entries: ReadonlyArray<AuditEntry>): Effect.Effect<void, RepositoryError> =>
        Effect.gen(function* () {
          const who = yield* auditActor(actor)
          const drafts = yield* Effect.forEach(entries, (entry) => draftOf(who, entry))
          yield* repository.append(drafts)
          yield* countSecurityEvent("admin_action", drafts.length)
        }),
      /** Outside any unit of work; never fails and never waits for the database. */
      note: (who: Partial<AuditActor>, entry: AuditEntry): Effect.Effect<void> =>
        Effect.gen(function* () {
          const address = yield* FiberRef.get(CurrentClientAddress)
          const draft = yield* draftOf({ userId: who.userId ?? null, keyId: who.keyId ?? null, address: who.address ?? address }, entry)
          yield* SubscriptionRef.update(pending, (n) => n + 1)
          if (!(yield* Queue.offer(queue, draft))) {
            dropped += 1
            yield* SubscriptionRef.update(pending, (n) => n - 1)
            yield* Metric.increment(auditDropped)
          }
        }),
      /** Waits until every noted entry has been written (or given up on). */
      flush,
      list: (query: AuditQuery, page: { readonly limit: number; readonly before: number | null }) => repository.list(query, page),
      /** Every matching row, oldest first, read in pages as the consumer pulls. */
      export: (query: AuditQuery): Stream.Stream<AuditEvent, RepositoryError> =>
        Stream.paginateChunkEffect(0, (after) =>
          Effect.map(repository.ascending(query, { limit: 500, after }), (rows) => [
            Chunk.fromIterable(rows),
            rows.length < 500 ? Option.none<number>() : Option.some(rows[rows.length - 1]!.seq)
          ] as const)
        ),
      verify
    } as const
  })
}) {}
