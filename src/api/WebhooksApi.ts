import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Forbidden, NotFound, ValidationError, VersionConflict } from "../domain/Errors.js"
import { Page } from "../domain/Page.js"
import { CreateWebhook, Delivery, DeliveryId, DeliveryStatus, UpdateWebhook, Webhook, WebhookId, WebhookWithSecret } from "../domain/Webhook.js"
import { PageParams, projectId, strictParams } from "./Common.js"

export const webhookId = HttpApiSchema.param("webhookId", WebhookId)
export const deliveryId = HttpApiSchema.param("deliveryId", DeliveryId)

const DeliveryParams = strictParams({
  ...PageParams,
  status: Schema.optional(DeliveryStatus),
  failed: Schema.optional(Schema.Literal("true", "false")).annotations({ description: "`true`: only deliveries with at least one failed attempt" })
})

const base = "/projects/:projectId/webhooks"

export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("createWebhook")`/projects/${projectId}/webhooks`
      .setPayload(CreateWebhook)
      .addSuccess(WebhookWithSecret, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "Subscribe a receiver to the project's events. The answer carries the signing secret, shown this once.")
  )
  .add(
    HttpApiEndpoint.get("listWebhooks")`/projects/${projectId}/webhooks`
      .setUrlParams(strictParams(PageParams))
      .addSuccess(Page(Webhook))
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("getWebhook")`/projects/${projectId}/webhooks/${webhookId}`.addSuccess(Webhook).addError(NotFound).addError(Forbidden))
  .add(
    HttpApiEndpoint.patch("updateWebhook")`/projects/${projectId}/webhooks/${webhookId}`
      .setPayload(UpdateWebhook)
      .addSuccess(Webhook)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .addError(VersionConflict)
      .annotate(
        OpenApi.Description,
        "Change a subscription. `active: true` re-enables a disabled one: what waited is delivered in order, or marked skipped with `skipPending: true`."
      )
  )
  .add(
    HttpApiEndpoint.del("deleteWebhook")`/projects/${projectId}/webhooks/${webhookId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .addError(Forbidden)
  )
  .add(
    HttpApiEndpoint.post("rotateWebhookSecret")`/projects/${projectId}/webhooks/${webhookId}/rotate-secret`
      .addSuccess(WebhookWithSecret)
      .addError(NotFound)
      .addError(Forbidden)
      .addError(VersionConflict)
      .annotate(
        OpenApi.Description,
        "A new signing secret, shown this once. The previous one keeps signing for `WEBHOOK_SECRET_GRACE` (24 h): deliveries carry both signatures until then."
      )
  )
  .add(
    HttpApiEndpoint.post("pingWebhook")`/projects/${projectId}/webhooks/${webhookId}/test`
      .addSuccess(Delivery, { status: 202 })
      .addError(NotFound)
      .addError(Forbidden)
      .annotate(OpenApi.Description, "Queue a `webhook.ping` delivery behind what the subscription has waiting; follow it in the delivery log.")
  )
  .add(
    HttpApiEndpoint.get("listWebhookDeliveries")`/projects/${projectId}/webhooks/${webhookId}/deliveries`
      .setUrlParams(DeliveryParams)
      .addSuccess(Page(Delivery))
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "The delivery log, newest first: each delivery with every attempt (time, duration, status, the start of the answer, the error).")
  )
  .add(
    HttpApiEndpoint.get("getWebhookDelivery")`/projects/${projectId}/webhooks/${webhookId}/deliveries/${deliveryId}`
      .addSuccess(Delivery)
      .addError(NotFound)
      .addError(Forbidden)
  )
  .add(
    HttpApiEndpoint.post("redeliverWebhookDelivery")`/projects/${projectId}/webhooks/${webhookId}/deliveries/${deliveryId}/redeliver`
      .addSuccess(Delivery, { status: 202 })
      .addError(NotFound)
      .addError(Forbidden)
      .annotate(
        OpenApi.Description,
        "Send a delivery again (same `webhook-id` and body): a finished one once more, a waiting one now rather than after its backoff. It keeps its place in the subscription's order."
      )
  )
  .annotate(OpenApi.Title, "Webhooks")
  .annotate(
    OpenApi.Description,
    `Signed deliveries of the project's events to receivers (Standard Webhooks: \`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`), retried for hours, in order per subscription. Owners only; others get 403, non-members 404. Paths under ${base}. See docs/webhooks.md for verifying a delivery.`
  ) {}
