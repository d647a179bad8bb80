import { DateTime, Effect, Option } from "effect"
import { PROJECT_EVENT_TYPES, projectIdOf } from "../../domain/Activity.js"
import { newId } from "../../domain/Ids.js"
import { DeliveryId } from "../../domain/Webhook.js"
import type { OutboxEnvelope } from "../../domain/Events.js"
import { WebhookRepository } from "../../repositories/WebhookRepository.js"
import { handlerRetry } from "../../resilience/RetrySchedules.js"
import { eventBody } from "../../webhooks/WebhookPayload.js"
import { WebhookWake } from "../../webhooks/WebhookWake.js"
import type { EventHandler } from "../EventHandler.js"

export const WEBHOOK_HANDLER = "webhooks"

/**
 * Fan-out of project events to webhook subscriptions: one delivery per subscription that wants
 * the event, recorded in the unit of work of the handler's inbox row, so an event handled twice
 * is queued once and an event is never lost between the pipeline and the deliveries. Sending is
 * the delivery worker's (src/webhooks/DeliveryWorker.ts): a receiver is retried for hours, far
 * longer than a handler's retries, and must not hold up the other handlers' consumer groups.
 */
export const WebhookHandler = Effect.gen(function* () {
  const repository = yield* WebhookRepository
  const wake = yield* WebhookWake

  const handle = Effect.fn("WebhookHandler.handle")(function* (event: OutboxEnvelope) {
    const projectId = projectIdOf(event)
    if (Option.isNone(projectId)) return
    const subscribers = yield* repository.subscribers(projectId.value, event.type)
    if (subscribers.length === 0) return
    const body = eventBody(event, projectId.value)
    const now = yield* DateTime.now
    yield* repository.enqueue(subscribers.map((webhookId) => ({ id: newId(DeliveryId), webhookId, eventId: event.id, eventType: event.type, body, createdAt: now })))
    // Before the commit: a worker woken too early finds nothing and polls again shortly.
    yield* wake.notify
  })

  return {
    name: WEBHOOK_HANDLER,
    types: PROJECT_EVENT_TYPES,
    concurrency: 2,
    retry: handlerRetry,
    handle
  } satisfies EventHandler
})
