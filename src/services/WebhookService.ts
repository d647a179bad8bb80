import { DateTime, Effect, Option } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import { WebhookConfig, type WebhookSettings } from "../config/WebhookConfig.js"
import type { Actor } from "../domain/Actor.js"
import { NotFound, ValidationError, VersionConflict } from "../domain/Errors.js"
import { EventId, newId, type ProjectId } from "../domain/Ids.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import { type CreateWebhook, DeliveryId, type DeliveryStatus, PING, type UpdateWebhook, Webhook, WebhookId, WebhookWithSecret } from "../domain/Webhook.js"
import { Transactor } from "../repositories/Transactor.js"
import { type StoredWebhook, WebhookRepository } from "../repositories/WebhookRepository.js"
import { refusal } from "../webhooks/AddressGuard.js"
import { newSecret, secretPrefix } from "../webhooks/Signature.js"
import { pingBody } from "../webhooks/WebhookPayload.js"
import { WebhookWake } from "../webhooks/WebhookWake.js"
import { ProjectAccess } from "./ProjectAccess.js"

const IPV6_LITERAL = /^\[(.*)\]$/
const IPV4_LITERAL = /^\d{1,3}(?:\.\d{1,3}){3}$/

/** Why `url` may not be a receiver, or null. Host names are resolved and checked again at every attempt. */
export const urlProblem = (text: string, settings: Pick<WebhookSettings, "allowHttp" | "allowedHosts">): string | null => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return "must be an absolute URL"
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https:// URL"
  if (url.protocol === "http:" && !settings.allowHttp) return "must be an https:// URL (plain http is off: WEBHOOK_ALLOW_HTTP)"
  if (url.username !== "" || url.password !== "") return "must not carry credentials"
  if (url.hash !== "") return "must not have a fragment"
  const literal = IPV6_LITERAL.exec(url.hostname)?.[1] ?? (IPV4_LITERAL.test(url.hostname) ? url.hostname : null)
  if (literal !== null) {
    const refused = refusal(url.hostname, literal, settings.allowedHosts)
    if (refused !== null) return `is not reachable: ${refused} (WEBHOOK_ALLOWED_HOSTS)`
  }
  return null
}

/**
 * Webhook subscriptions of a project: owners only (a receiver's URL and the deliveries' log are
 * the project's integration settings). A secret is made here, shown once, and rotated with a
 * grace period in which both sign. Changes are on the audit trail in their unit of work. The
 * deliveries themselves are the `webhooks` event handler's and the delivery worker's.
 */
export class WebhookService extends Effect.Service<WebhookService>()("flowboard/WebhookService", {
  effect: Effect.gen(function* () {
    const repository = yield* WebhookRepository
    const tx = yield* Transactor
    const access = yield* ProjectAccess
    const audit = yield* AuditTrail
    const wake = yield* WebhookWake
    const settings = yield* WebhookConfig

    const checkUrl = (url: string) => {
      const problem = urlProblem(url, settings)
      return problem === null ? Effect.void : Effect.fail(ValidationError.field("url", problem))
    }

    const owned = (actor: Actor, projectId: ProjectId, id: WebhookId) =>
      Effect.gen(function* () {
        yield* access.require(actor, projectId, "owner")
        const found = yield* repository.find(id)
        if (Option.isNone(found) || found.value.webhook.projectId !== projectId) return yield* NotFound.of("webhook", id)
        return found.value
      })

    const summary = (w: Webhook) => ({ url: w.url, eventTypes: w.eventTypes, active: w.active, description: w.description })
    const entry = (action: string, w: Webhook, details: Record<string, unknown>) => ({ action, targetType: "webhook", targetId: w.id, details })

    const save = (before: StoredWebhook, after: StoredWebhook) =>
      Effect.flatMap(repository.update(after, before.webhook.version), (saved) =>
        saved
          ? Effect.void
          : Effect.fail(new VersionConflict({ message: "webhook was changed by someone else", resource: "webhook", id: before.webhook.id, expected: before.webhook.version, actual: before.webhook.version + 1 })))

    const create = Effect.fn("WebhookService.create")(function* (actor: Actor, projectId: ProjectId, input: CreateWebhook) {
      yield* checkUrl(input.url)
      return yield* tx.transaction(
        Effect.gen(function* () {
          yield* access.require(actor, projectId, "owner")
          const now = yield* DateTime.now
          const secret = newSecret()
          const webhook = new Webhook({
            id: newId(WebhookId),
            projectId,
            url: input.url,
            description: input.description ?? "",
            eventTypes: input.eventTypes ?? null,
            active: input.active ?? true,
            disabledReason: null,
            disabledAt: null,
            failingSince: null,
            secretPrefix: secretPrefix(secret),
            previousSecretExpiresAt: null,
            createdBy: actor.user.id,
            createdAt: now,
            updatedAt: now,
            version: 1
          })
          yield* repository.insert({ webhook, secret, previousSecret: null })
          yield* audit.record(actor, [entry("webhook.created", webhook, { after: summary(webhook) })])
          return new WebhookWithSecret({ webhook, secret })
        })
      )
    })

    const update = Effect.fn("WebhookService.update")(function* (actor: Actor, projectId: ProjectId, id: WebhookId, input: UpdateWebhook) {
      if (input.url !== undefined) yield* checkUrl(input.url)
      const webhook = yield* tx.transaction(
        Effect.gen(function* () {
          const stored = yield* owned(actor, projectId, id)
          const current = stored.webhook
          if (current.version !== input.version) {
            return yield* new VersionConflict({ message: "webhook was changed by someone else", resource: "webhook", id, expected: input.version, actual: current.version })
          }
          const now = yield* DateTime.now
          const enabling = input.active === true && !current.active
          const next = new Webhook({
            ...current,
            url: input.url ?? current.url,
            description: input.description ?? current.description,
            eventTypes: input.eventTypes === undefined ? current.eventTypes : input.eventTypes,
            active: input.active ?? current.active,
            ...(enabling ? { disabledReason: null, disabledAt: null, failingSince: null } : {}),
            updatedAt: now,
            version: current.version + 1
          })
          yield* save(stored, { ...stored, webhook: next })
          const skipped = enabling && input.skipPending === true ? yield* repository.skipPending(id, now) : 0
          yield* audit.record(actor, [entry(enabling ? "webhook.enabled" : "webhook.updated", next, { before: summary(current), after: summary(next), ...(skipped > 0 ? { skipped } : {}) })])
          return next
        })
      )
      if (webhook.active) yield* wake.notify
      return webhook
    })

    /** The worker's: a receiver that answered 410 Gone, or failed for `WEBHOOK_DISABLE_AFTER`. What waits stays queued. */
    const disable = Effect.fn("WebhookService.disable")(function* (id: WebhookId, reason: string) {
      return yield* tx.transaction(
        Effect.gen(function* () {
          const found = yield* repository.find(id)
          if (Option.isNone(found) || !found.value.webhook.active) return false
          const current = found.value.webhook
          const now = yield* DateTime.now
          const next = new Webhook({ ...current, active: false, disabledReason: reason, disabledAt: now, updatedAt: now, version: current.version + 1 })
          if (!(yield* repository.update({ ...found.value, webhook: next }, current.version))) return false
          yield* audit.record(null, [entry("webhook.disabled", next, { reason, url: current.url })])
          yield* Effect.logWarning(`webhook ${id} disabled: ${reason}`).pipe(Effect.annotateLogs({ webhookId: id, projectId: current.projectId }))
          return true
        })
      )
    })

    return {
      create,
      update,
      disable,
      get: Effect.fn("WebhookService.get")(function* (actor: Actor, projectId: ProjectId, id: WebhookId) {
        return (yield* owned(actor, projectId, id)).webhook
      }),
      list: Effect.fn("WebhookService.list")(function* (actor: Actor, projectId: ProjectId, page: { readonly limit: number; readonly cursor: string | null }) {
        yield* access.require(actor, projectId, "owner")
        const after = page.cursor === null ? null : decodeCursor(page.cursor)
        if (page.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        return toPage(yield* repository.listByProject(projectId, { limit: page.limit, after }), page.limit)
      }),
      delete: Effect.fn("WebhookService.delete")(function* (actor: Actor, projectId: ProjectId, id: WebhookId) {
        yield* tx.transaction(
          Effect.gen(function* () {
            const stored = yield* owned(actor, projectId, id)
            if (!(yield* repository.delete(id))) return yield* NotFound.of("webhook", id)
            yield* audit.record(actor, [entry("webhook.deleted", stored.webhook, { before: summary(stored.webhook) })])
          })
        )
      }),
      rotateSecret: Effect.fn("WebhookService.rotateSecret")(function* (actor: Actor, projectId: ProjectId, id: WebhookId) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const stored = yield* owned(actor, projectId, id)
            const now = yield* DateTime.now
            const secret = newSecret()
            const next = new Webhook({
              ...stored.webhook,
              secretPrefix: secretPrefix(secret),
              previousSecretExpiresAt: DateTime.addDuration(now, settings.secretGrace),
              updatedAt: now,
              version: stored.webhook.version + 1
            })
            yield* save(stored, { webhook: next, secret, previousSecret: stored.secret })
            yield* audit.record(actor, [entry("webhook.secret_rotated", next, { before: { secretPrefix: stored.webhook.secretPrefix }, after: { secretPrefix: next.secretPrefix, previousValidUntil: next.previousSecretExpiresAt } })])
            return new WebhookWithSecret({ webhook: next, secret })
          })
        )
      }),
      /** Queues a `webhook.ping` behind what the subscription already has waiting. */
      ping: Effect.fn("WebhookService.ping")(function* (actor: Actor, projectId: ProjectId, id: WebhookId) {
        const delivery = yield* tx.transaction(
          Effect.gen(function* () {
            yield* owned(actor, projectId, id)
            const now = yield* DateTime.now
            const deliveryId = newId(DeliveryId)
            yield* repository.enqueue([{ id: deliveryId, webhookId: id, eventId: newId(EventId), eventType: PING, body: pingBody(id, projectId, now), createdAt: now }])
            return yield* repository.findDelivery(deliveryId)
          })
        )
        yield* wake.notify
        return yield* Option.match(delivery, { onNone: () => Effect.dieMessage("a queued ping was not found"), onSome: Effect.succeed })
      }),
      listDeliveries: Effect.fn("WebhookService.listDeliveries")(function* (
        actor: Actor,
        projectId: ProjectId,
        id: WebhookId,
        query: { readonly limit: number; readonly cursor: string | null; readonly status: DeliveryStatus | null; readonly failedOnly: boolean }
      ) {
        yield* owned(actor, projectId, id)
        const after = query.cursor === null ? null : decodeCursor(query.cursor)
        if (query.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        return toPage(yield* repository.listDeliveries(id, { status: query.status, failedOnly: query.failedOnly }, { limit: query.limit, after }), query.limit)
      }),
      getDelivery: Effect.fn("WebhookService.getDelivery")(function* (actor: Actor, projectId: ProjectId, id: WebhookId, deliveryId: DeliveryId) {
        yield* owned(actor, projectId, id)
        const found = yield* repository.findDelivery(deliveryId)
        if (Option.isNone(found) || found.value.webhookId !== id) return yield* NotFound.of("delivery", deliveryId)
        return found.value
      }),
      /**
       * Sends a delivery again, same `webhook-id` and body, as soon as its subscription's queue
       * reaches it: a finished one once more, a waiting one without waiting out its backoff. It
       * keeps its place in the queue (its original order), so it goes before what came after it.
       */
      redeliver: Effect.fn("WebhookService.redeliver")(function* (actor: Actor, projectId: ProjectId, id: WebhookId, deliveryId: DeliveryId) {
        const delivery = yield* tx.transaction(
          Effect.gen(function* () {
            yield* owned(actor, projectId, id)
            const found = yield* repository.findDelivery(deliveryId)
            if (Option.isNone(found) || found.value.webhookId !== id) return yield* NotFound.of("delivery", deliveryId)
            if (!(yield* repository.redeliver(deliveryId, yield* DateTime.now))) return yield* NotFound.of("delivery", deliveryId)
            const again = yield* repository.findDelivery(deliveryId)
            return Option.getOrElse(again, () => found.value)
          })
        )
        yield* wake.notify
        return delivery
      })
    } as const
  })
}) {}
