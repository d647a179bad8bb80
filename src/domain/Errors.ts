import { HttpApiSchema } from "@effect/platform"
import { Predicate, Schema } from "effect"

/**
 * Domain errors: typed, part of the API contract, each with its HTTP status. Every error body
 * also carries `status` and `correlationId`, added by the error-shaping middleware so that the
 * services need not know about requests.
 */
/** Filled in by the HTTP layer on the way out; never set by services. */
const context = {
  status: Schema.optional(Schema.Int),
  correlationId: Schema.optional(Schema.String)
}

export class Issue extends Schema.Class<Issue>("FieldIssue")(
  {
    path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
    message: Schema.String
  },
  { description: "One wrong field: where it is (`[\"labels\", 2]`) and what is wrong with it." }
) {}

export class ValidationError extends Schema.TaggedError<ValidationError>()(
  "ValidationError",
  { ...context, message: Schema.String, issues: Schema.Array(Issue) },
  HttpApiSchema.annotations({ status: 400, description: "The request is malformed; `issues` names each wrong field" })
) {
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ message: `${field}: ${message}`, issues: [new Issue({ path: [field], message })] })
  }
}

export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { ...context, message: Schema.String, resource: Schema.String, id: Schema.String },
  HttpApiSchema.annotations({ status: 404, description: "No such resource, or it is not visible to the caller" })
) {
  static of(resource: string, id: string): NotFound {
    return new NotFound({ resource, id, message: `${resource} ${id} not found` })
  }
}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "Missing, malformed, unknown, expired or revoked API key" })
) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 403, description: "The key lacks the scope, or the member lacks the role" })
) {}

export class VersionConflict extends Schema.TaggedError<VersionConflict>()(
  "VersionConflict",
  { ...context, message: Schema.String, resource: Schema.String, id: Schema.String, expected: Schema.Number, actual: Schema.Number },
  HttpApiSchema.annotations({ status: 409, description: "The `version` sent is stale: re-read and retry" })
) {}

export class WipLimitExceeded extends Schema.TaggedError<WipLimitExceeded>()(
  "WipLimitExceeded",
  { ...context, message: Schema.String, columnId: Schema.String, limit: Schema.Number },
  HttpApiSchema.annotations({ status: 409, description: "The target column is at its WIP limit" })
) {}

export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 409, description: "The request conflicts with the current state" })
) {}

export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 500, description: "An unexpected fault; quote the correlation id" })
) {}

export class LengthRequired extends Schema.TaggedError<LengthRequired>()(
  "LengthRequired",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 411, description: "A request body was sent without `Content-Length` (chunked)" })
) {}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { ...context, message: Schema.String, limit: Schema.optional(Schema.Int) },
  HttpApiSchema.annotations({
    status: 413,
    description:
      "The request body is larger than `MAX_BODY_BYTES` (8 MiB by default), or an attachment larger than `ATTACHMENT_MAX_BYTES` (10 MiB by default, `limit`)"
  })
) {}

export class MethodNotAllowed extends Schema.TaggedError<MethodNotAllowed>()(
  "MethodNotAllowed",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 405, description: "The path exists, but not with this method: `Allow` lists those it takes" })
) {}

export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { ...context, message: Schema.String, detectedType: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({
    status: 415,
    description:
      "A request body must be JSON, labelled `Content-Type: application/json` (an upload: `multipart/form-data`); an attachment whose bytes are of a type not allowed, or not one its extension allows, names the type found (`detectedType`)"
  })
) {}

/** The project's attachments would take more than its quota; `used` and `quota` say by how much. */
export class AttachmentQuotaExceeded extends Schema.TaggedError<AttachmentQuotaExceeded>()(
  "AttachmentQuotaExceeded",
  { ...context, message: Schema.String, quota: Schema.Int, used: Schema.Int, size: Schema.Int },
  HttpApiSchema.annotations({
    status: 409,
    description: "The project's attachments would exceed its quota (`ATTACHMENT_PROJECT_QUOTA`): `used` bytes of `quota`, this file `size`; delete some first"
  })
) {}

export class RequestHeaderFieldsTooLarge extends Schema.TaggedError<RequestHeaderFieldsTooLarge>()(
  "RequestHeaderFieldsTooLarge",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 431, description: "The URL or the headers are longer than the server reads (16 KiB together)" })
) {}

/**
 * A rate limit or a block refused the request: `Retry-After` says when to come back, and the
 * `RateLimit` / `RateLimit-Policy` headers which budget ran out (docs/security.md).
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  { ...context, message: Schema.String, retryAfterSeconds: Schema.Int },
  HttpApiSchema.annotations({
    status: 429,
    description: "A rate limit, a live-stream cap or an authentication block refused the request; wait `Retry-After` seconds (`retryAfterSeconds`)"
  })
) {}

export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  { ...context, message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "A dependency is unavailable; retry later" })
) {}

/**
 * Infrastructure failure from a repository adapter. Never part of the API contract: handlers
 * turn it into `InternalError` / `ServiceUnavailable` after logging the cause.
 */
export class RepositoryError extends Schema.TaggedError<RepositoryError>()("RepositoryError", {
  message: Schema.String,
  transient: Schema.Boolean,
  cause: Schema.optional(Schema.Defect)
}) {}

/** A `RepositoryError` a later try may get past (unreachable, timed out, cancelled): the dependency is unwell, not the request. */
export const isTransientRepositoryError = (error: unknown): boolean =>
  Predicate.isTagged(error, "RepositoryError") && Predicate.hasProperty(error, "transient") && error.transient === true

export type DomainError = ValidationError | NotFound | Forbidden | VersionConflict | WipLimitExceeded | Conflict
