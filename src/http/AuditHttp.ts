import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Stream } from "effect"
import { Api } from "../api/Api.js"
import { AuditVerification } from "../api/AuditApi.js"
import { CurrentActor } from "../api/Security.js"
import { AuditTrail } from "../audit/AuditTrail.js"
import { type Actor, isAdmin } from "../domain/Actor.js"
import type { AuditEvent } from "../domain/Audit.js"
import { Forbidden, ValidationError } from "../domain/Errors.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import type { AuditQuery } from "../repositories/AuditRepository.js"
import { AuditEventJson } from "../audit/AuditJson.js"
import { orInternal } from "./Errors.js"

const requireAdmin = (actor: Actor) =>
  isAdmin(actor) ? Effect.succeed(actor) : Effect.fail(new Forbidden({ message: "the audit trail needs an admin user and a key with the admin scope" }))

/** The cursor is the last `seq` seen, opaque to clients. */
const encodeCursor = (seq: number) => Buffer.from(`audit:${seq}`, "utf8").toString("base64url")
const decodeCursor = (cursor: string): number | null => {
  const match = /^audit:([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))
  return match === null ? null : Number(match[1])
}

interface Filters {
  readonly actor?: string | undefined
  readonly action?: string | undefined
  readonly targetType?: string | undefined
  readonly targetId?: string | undefined
  readonly since?: AuditQuery["since"] | undefined
  readonly until?: AuditQuery["until"] | undefined
}
const queryOf = (filters: Filters): AuditQuery => ({
  actor: filters.actor ?? null,
  action: filters.action ?? null,
  targetType: filters.targetType ?? null,
  targetId: filters.targetId ?? null,
  since: filters.since ?? null,
  until: filters.until ?? null
})

const ndjsonLine = (event: AuditEvent) => `${JSON.stringify(AuditEventJson(event))}\n`

export const AuditHttp = HttpApiBuilder.group(Api, "audit", (handlers) =>
  Effect.gen(function* () {
    const audit = yield* AuditTrail
    return handlers
      .handle("listAudit", ({ urlParams }) =>
        Effect.gen(function* () {
          yield* Effect.flatMap(CurrentActor, requireAdmin)
          const before = urlParams.cursor === undefined ? null : decodeCursor(urlParams.cursor)
          if (urlParams.cursor !== undefined && before === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
          const limit = urlParams.limit ?? DEFAULT_LIMIT
          const rows = yield* audit.list(queryOf(urlParams), { limit: limit + 1, before })
          const items = rows.slice(0, limit)
          return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.seq) : null }
        }).pipe(orInternal)
      )
      .handle("exportAudit", ({ urlParams }) =>
        Effect.gen(function* () {
          const actor = yield* Effect.flatMap(CurrentActor, requireAdmin)
          const query = queryOf(urlParams)
          // Reading the whole trail is itself on the record, with what was asked for.
          yield* audit.record(actor, [{ action: "audit.exported", targetType: "audit", targetId: null, details: { filters: { ...urlParams, since: urlParams.since?.toJSON(), until: urlParams.until?.toJSON() } } }])
          const body = audit.export(query).pipe(
            Stream.map(ndjsonLine),
            // A failure half-way cannot change the status any more: the stream ends, the log says why.
            Stream.catchAll((error) => Stream.fromEffect(Effect.logError("audit export ended by a failure", error)).pipe(Stream.drain)),
            Stream.encodeText
          )
          return HttpServerResponse.stream(body, {
            contentType: "application/x-ndjson",
            headers: { "content-disposition": `attachment; filename="flowboard-audit.ndjson"` }
          })
        }).pipe(orInternal)
      )
      .handle("verifyAudit", () =>
        Effect.gen(function* () {
          yield* Effect.flatMap(CurrentActor, requireAdmin)
          const report = yield* audit.verify
          return new AuditVerification({ ...report, intact: report.problem === null })
        }).pipe(orInternal)
      )
  })
)
