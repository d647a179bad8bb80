import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { WebhookService } from "../services/WebhookService.js"
import { asActor } from "./Errors.js"

export const WebhooksHttp = HttpApiBuilder.group(Api, "webhooks", (handlers) =>
  Effect.map(WebhookService, (webhooks) =>
    handlers
      .handle("createWebhook", ({ path, payload }) => asActor((actor) => webhooks.create(actor, path.projectId, payload)))
      .handle("listWebhooks", ({ path, urlParams }) =>
        asActor((actor) => webhooks.list(actor, path.projectId, { limit: urlParams.limit ?? DEFAULT_LIMIT, cursor: urlParams.cursor ?? null })))
      .handle("getWebhook", ({ path }) => asActor((actor) => webhooks.get(actor, path.projectId, path.webhookId)))
      .handle("updateWebhook", ({ path, payload }) => asActor((actor) => webhooks.update(actor, path.projectId, path.webhookId, payload)))
      .handle("deleteWebhook", ({ path }) => asActor((actor) => webhooks.delete(actor, path.projectId, path.webhookId)))
      .handle("rotateWebhookSecret", ({ path }) => asActor((actor) => webhooks.rotateSecret(actor, path.projectId, path.webhookId)))
      .handle("pingWebhook", ({ path }) => asActor((actor) => webhooks.ping(actor, path.projectId, path.webhookId)))
      .handle("listWebhookDeliveries", ({ path, urlParams }) =>
        asActor((actor) =>
          webhooks.listDeliveries(actor, path.projectId, path.webhookId, {
            limit: urlParams.limit ?? DEFAULT_LIMIT,
            cursor: urlParams.cursor ?? null,
            status: urlParams.status ?? null,
            failedOnly: urlParams.failed === "true"
          })))
      .handle("getWebhookDelivery", ({ path }) => asActor((actor) => webhooks.getDelivery(actor, path.projectId, path.webhookId, path.deliveryId)))
      .handle("redeliverWebhookDelivery", ({ path }) => asActor((actor) => webhooks.redeliver(actor, path.projectId, path.webhookId, path.deliveryId)))
  ))
