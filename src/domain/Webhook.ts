import { Schema } from "effect"
import { EventType } from "./Events.js"
import { EventId, ProjectId, UserId } from "./Ids.js"
import { strict, Timestamp } from "./Model.js"
import { Text } from "./Text.js"

const Uuid = Schema.UUID.annotations({ description: "A UUID (version 7: time-ordered)" })
export const WebhookId = Uuid.pipe(Schema.brand("WebhookId"))
export type WebhookId = typeof WebhookId.Type
export const DeliveryId = Uuid.pipe(Schema.brand("DeliveryId"))
export type DeliveryId = typeof DeliveryId.Type

/** What a subscription may ask for: every project event, and the ping that `test` sends. */
export const PING = "webhook.ping" as const
export const WebhookEventType = Schema.Union(EventType, Schema.Literal(PING))
export type WebhookEventType = typeof WebhookEventType.Type

/**
 * A receiver's URL: absolute http(s), no credentials (they would be logged and shown), no
 * fragment, at most 2,048 characters. Whether plain http and the host are allowed is the
 * webhook settings' call (WebhookConfig), checked by the service with the field named.
 */
export const WebhookUrl = Text(2048, 1).annotations({
  description: "The receiver: an absolute `https://` URL (`http://` only where `WEBHOOK_ALLOW_HTTP` is on), without credentials or fragment, at most 2,048 characters"
})

/** Why a subscription stopped being delivered to, when it was the system that stopped it. */
export const DisabledReason = Schema.NullOr(Schema.String).annotations({
  description: "Set when Flowboard disabled the subscription (the receiver answered 410 Gone, or failed for `WEBHOOK_DISABLE_AFTER`); null otherwise"
})

/** A subscription as the API shows it: never its secret. */
export class Webhook extends Schema.Class<Webhook>("Webhook")({
  id: WebhookId,
  projectId: ProjectId,
  url: Schema.String,
  description: Schema.String,
  eventTypes: Schema.NullOr(Schema.Array(WebhookEventType)).annotations({ description: "The event types sent; null for all of them" }),
  active: Schema.Boolean,
  disabledReason: DisabledReason,
  disabledAt: Schema.NullOr(Timestamp),
  /** Since when every attempt has failed; null while the receiver answers 2xx. */
  failingSince: Schema.NullOr(Timestamp),
  secretPrefix: Schema.String.annotations({ description: "The first characters of the signing secret, to tell secrets apart" }),
  previousSecretExpiresAt: Schema.NullOr(Timestamp).annotations({
    description: "After a rotation: until when the previous secret still signs too (each delivery then carries both signatures)"
  }),
  createdBy: UserId,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Schema.Int
}) {}

/** A subscription with its secret: what creation and rotation answer, once. */
export class WebhookWithSecret extends Schema.Class<WebhookWithSecret>("WebhookWithSecret")({
  webhook: Webhook,
  secret: Schema.String.annotations({
    description: "The signing secret, `whsec_` and base64 (Standard Webhooks). Shown only in this answer: store it now"
  })
}) {}

const EventTypes = Schema.NullOr(Schema.Array(WebhookEventType).pipe(Schema.minItems(1), Schema.maxItems(64))).annotations({
  description: "Event types to send (e.g. `task.created.v1`), or null / absent for all"
})

export const CreateWebhook = Schema.Struct({
  url: WebhookUrl,
  eventTypes: Schema.optional(EventTypes),
  description: Schema.optional(Text(500)),
  active: Schema.optional(Schema.Boolean)
}).annotations({ ...strict, identifier: "CreateWebhook" })
export type CreateWebhook = typeof CreateWebhook.Type

export const UpdateWebhook = Schema.Struct({
  version: Schema.Int.annotations({ description: "The version read; a stale one is 409" }),
  url: Schema.optional(WebhookUrl),
  eventTypes: Schema.optional(EventTypes),
  description: Schema.optional(Text(500)),
  active: Schema.optional(Schema.Boolean),
  skipPending: Schema.optional(Schema.Boolean).annotations({
    description: "With `active: true` on a disabled subscription: mark what waited as skipped instead of delivering it"
  })
}).annotations({ ...strict, identifier: "UpdateWebhook" })
export type UpdateWebhook = typeof UpdateWebhook.Type

export const DeliveryStatus = Schema.Literal("pending", "delivered", "failed", "skipped")
export type DeliveryStatus = typeof DeliveryStatus.Type

/** One try at a delivery, as the delivery log records it. */
export class DeliveryAttempt extends Schema.Class<DeliveryAttempt>("DeliveryAttempt")({
  attempt: Schema.Int,
  startedAt: Timestamp,
  durationMs: Schema.Int,
  statusCode: Schema.NullOr(Schema.Int).annotations({ description: "The receiver's status; null when none came (refused address, timeout, connection failure)" }),
  responseBody: Schema.NullOr(Schema.String).annotations({ description: "The start of the receiver's answer (`WEBHOOK_RESPONSE_MAX_BYTES`)" }),
  error: Schema.NullOr(Schema.String),
  success: Schema.Boolean
}) {}

/** An event on its way to one subscription, with every attempt made. */
export class Delivery extends Schema.Class<Delivery>("Delivery")({
  id: DeliveryId,
  webhookId: WebhookId,
  eventId: EventId.annotations({ description: "The `webhook-id` header: the same on every attempt" }),
  eventType: WebhookEventType,
  status: DeliveryStatus,
  attempts: Schema.Array(DeliveryAttempt),
  nextAttemptAt: Schema.NullOr(Timestamp).annotations({ description: "When the next attempt is due, while pending" }),
  createdAt: Timestamp,
  finishedAt: Schema.NullOr(Timestamp)
}) {}
