import { DateTime } from "effect"
import type { OutboxEnvelope } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"
import { PING, type WebhookId } from "../domain/Webhook.js"

/**
 * A delivery's body, the shape Standard Webhooks recommends: `type`, `timestamp` (when it
 * happened, ISO 8601) and `data`. `data` is the event's payload as the event records it, with
 * the project, the aggregate and the acting user; never the envelope's internals (correlation,
 * causation, trace context, the aggregate's version). Written once, when the delivery is
 * recorded: every attempt sends the same bytes under the same `webhook-id`.
 */
export const eventBody = (event: OutboxEnvelope, projectId: ProjectId): string =>
  JSON.stringify({
    type: event.type,
    timestamp: DateTime.formatIso(event.occurredAt),
    data: {
      projectId,
      aggregate: { type: event.aggregateType, id: event.aggregateId },
      actorId: event.actor,
      ...event.payload
    }
  })

/** What `POST …/webhooks/{id}/test` sends. */
export const pingBody = (webhookId: WebhookId, projectId: ProjectId, now: DateTime.Utc): string =>
  JSON.stringify({ type: PING, timestamp: DateTime.formatIso(now), data: { webhookId, projectId } })
