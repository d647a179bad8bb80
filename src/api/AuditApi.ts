import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { AuditEvent } from "../domain/Audit.js"
import { Forbidden, ValidationError } from "../domain/Errors.js"
import { Page } from "../domain/Page.js"
import { Instant, Text } from "../domain/Text.js"
import { PageParams, strictParams } from "./Common.js"

const Filters = {
  actor: Schema.optional(Text(200, 1).annotations({ description: "A user id, key id or client address: entries whose actor it is" })),
  action: Schema.optional(
    Text(100, 1).pipe(Schema.pattern(/^[a-z0-9_]+(?:\.[a-z0-9_]+)*(?:\.\*)?$/, { message: () => "must be an action such as apikey.revoked, or a prefix such as apikey.*" })).annotations({
      description: "An action (`apikey.revoked`), or every action under a prefix (`apikey.*`)"
    })
  ),
  targetType: Schema.optional(Text(50, 1)),
  targetId: Schema.optional(Text(200, 1)),
  since: Schema.optional(Instant.annotations({ description: "Entries at or after this time (ISO 8601)" })),
  until: Schema.optional(Instant.annotations({ description: "Entries before this time (ISO 8601)" }))
}

export class AuditVerification extends Schema.Class<AuditVerification>("AuditVerification")({
  intact: Schema.Boolean,
  rows: Schema.Int,
  firstSeq: Schema.NullOr(Schema.Int),
  lastSeq: Schema.NullOr(Schema.Int),
  headHash: Schema.NullOr(Schema.String).annotations({ description: "The newest row's hash: record it elsewhere to detect a later truncation of the trail" }),
  anchoredBy: Schema.Literal("genesis", "retention", "none"),
  problem: Schema.NullOr(Schema.String).annotations({ description: "The first row that breaks the chain, and how" })
}) {}

export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("listAudit", "/admin/audit")
      .setUrlParams(strictParams({ ...PageParams, ...Filters }))
      .addSuccess(Page(AuditEvent))
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.get("exportAudit", "/admin/audit/export")
      .setUrlParams(strictParams(Filters))
      .addSuccess(HttpApiSchema.Text({ contentType: "application/x-ndjson" }))
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("verifyAudit", "/admin/audit/verify").addSuccess(AuditVerification).addError(Forbidden))
  .annotate(OpenApi.Title, "Audit trail")
  .annotate(
    OpenApi.Description,
    "Who did what, append-only and hash-chained: users, keys, memberships, deleted and archived projects, dead-letter replays and discards, failed authentications, blocks and denied requests. List newest first with filters and keyset pagination; export as NDJSON (oldest first, one entry per line); verify the chain. Admin key only; every export is itself audited."
  ) {}
