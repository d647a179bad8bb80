import { Array as Arr, DateTime, Effect, Either, HashMap, Layer, Option, Order } from "effect"
import type { RepositoryError } from "../../domain/Errors.js"
import { Delivery, Webhook } from "../../domain/Webhook.js"
import { type DueDelivery, WebhookRepository } from "../WebhookRepository.js"
import { type DeliveryRow, MemoryStore, ok, requireNextVersion, type Tables, violation } from "./MemoryStore.js"
import { pageAfter, rowsOf } from "./Query.js"

const toDelivery = (row: DeliveryRow): Delivery =>
  new Delivery({
    id: row.id,
    webhookId: row.webhookId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt : null,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt
  })

const bySeq = Order.mapInput(Order.number, (row: DeliveryRow) => row.seq)
const leasedAt = (row: DeliveryRow, now: DateTime.Utc) => row.leaseUntil !== null && DateTime.greaterThan(row.leaseUntil, now)

const changeDelivery = (t: Tables, id: string, change: (row: DeliveryRow) => DeliveryRow | null) =>
  Option.match(HashMap.get(t.deliveries, id), {
    onNone: () => ok(false, t),
    onSome: (row) => {
      const next = change(row)
      return next === null ? ok(false, t) : ok(true, { ...t, deliveries: HashMap.set(t.deliveries, id, next) })
    }
  })

export const MemoryWebhookRepository = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    let seq = 0

    return WebhookRepository.of({
      insert: (stored) =>
        store.write((t) => {
          if (HashMap.has(t.webhooks, stored.webhook.id)) return violation(`webhooks: duplicate id ${stored.webhook.id}`)
          if (!HashMap.has(t.projects, stored.webhook.projectId)) return violation("webhooks.project_id: no such project")
          return ok(undefined, { ...t, webhooks: HashMap.set(t.webhooks, stored.webhook.id, stored) })
        }),
      find: (id) => store.read((t) => HashMap.get(t.webhooks, id)),
      update: (stored, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("webhooks", stored.webhook.version, expectedVersion),
          store.write((t) => {
            const current = HashMap.get(t.webhooks, stored.webhook.id)
            if (Option.isNone(current) || current.value.webhook.version !== expectedVersion) return ok(false, t)
            return ok(true, { ...t, webhooks: HashMap.set(t.webhooks, stored.webhook.id, stored) })
          })
        ),
      delete: (id) =>
        store.write((t) =>
          ok(HashMap.has(t.webhooks, id), {
            ...t,
            webhooks: HashMap.remove(t.webhooks, id),
            deliveries: HashMap.filter(t.deliveries, (d) => d.webhookId !== id)
          })
        ),
      listByProject: (projectId, page) =>
        store.read((t) => pageAfter(rowsOf(t.webhooks).map((s) => s.webhook).filter((w) => w.projectId === projectId), page)),
      subscribers: (projectId, type) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.webhooks)
              .map((s) => s.webhook)
              .filter((w) => w.projectId === projectId && (w.eventTypes === null || w.eventTypes.includes(type))),
            Order.mapInput(Order.string, (w: Webhook) => w.id)
          ).map((w) => w.id)
        ),
      enqueue: (deliveries) =>
        store.write((t) => {
          let table = t.deliveries
          const present = new Set(rowsOf(t.deliveries).map((d) => `${d.webhookId}/${d.eventId}`))
          for (const delivery of deliveries) {
            if (present.has(`${delivery.webhookId}/${delivery.eventId}`)) continue
            if (!HashMap.has(t.webhooks, delivery.webhookId)) return violation("webhook_deliveries.webhook_id: no such webhook")
            present.add(`${delivery.webhookId}/${delivery.eventId}`)
            seq += 1
            table = HashMap.set(table, delivery.id, {
              ...delivery,
              seq,
              status: "pending",
              attempts: [],
              nextAttemptAt: delivery.createdAt,
              leaseUntil: null,
              finishedAt: null
            })
          }
          return ok(undefined, { ...t, deliveries: table })
        }),
      claimDue: (now, leaseUntil, limit) =>
        store.write((t) => {
          const heads = new Map<string, DeliveryRow>()
          for (const row of Arr.sort(rowsOf(t.deliveries), bySeq)) {
            if (row.status === "pending" && !heads.has(row.webhookId)) heads.set(row.webhookId, row)
          }
          const due: Array<DueDelivery> = []
          let table = t.deliveries
          const ready = [...heads.values()].filter((row) => !DateTime.greaterThan(row.nextAttemptAt, now) && !leasedAt(row, now))
          for (const row of Arr.sort(ready, Order.mapInput(DateTime.Order, (r: DeliveryRow) => r.nextAttemptAt))) {
            if (due.length >= limit) break
            const subscription = HashMap.get(t.webhooks, row.webhookId)
            if (Option.isNone(subscription) || !subscription.value.webhook.active) continue
            table = HashMap.set(table, row.id, { ...row, leaseUntil })
            due.push({ id: row.id, eventId: row.eventId, eventType: row.eventType, body: row.body, attempts: row.attempts.length, subscription: subscription.value })
          }
          return ok(due as ReadonlyArray<DueDelivery>, { ...t, deliveries: table })
        }),
      recordAttempt: (id, attempt, result, leaseNext) =>
        store.write((t): Either.Either<readonly [Option.Option<DueDelivery>, Tables], RepositoryError> => {
          const recorded = changeDelivery(t, id, (row) => ({
            ...row,
            attempts: [...row.attempts, attempt],
            leaseUntil: null,
            ...(result._tag === "Retry"
              ? { status: "pending" as const, nextAttemptAt: result.at, finishedAt: null }
              : { status: result.status, finishedAt: result.at })
          }))
          if (Either.isLeft(recorded)) return Either.left(recorded.left)
          const [, tables] = recorded.right
          const row = HashMap.get(tables.deliveries, id)
          if (leaseNext === undefined || result._tag === "Retry" || Option.isNone(row)) return ok(Option.none<DueDelivery>(), tables)
          const subscription = HashMap.get(tables.webhooks, row.value.webhookId)
          const next = Arr.sort(rowsOf(tables.deliveries).filter((d) => d.webhookId === row.value.webhookId && d.status === "pending"), bySeq)[0]
          if (Option.isNone(subscription) || !subscription.value.webhook.active || next === undefined) return ok(Option.none<DueDelivery>(), tables)
          if (DateTime.greaterThan(next.nextAttemptAt, leaseNext.now) || leasedAt(next, leaseNext.now)) return ok(Option.none<DueDelivery>(), tables)
          const due: DueDelivery = { id: next.id, eventId: next.eventId, eventType: next.eventType, body: next.body, attempts: next.attempts.length, subscription: subscription.value }
          return ok(Option.some(due), { ...tables, deliveries: HashMap.set(tables.deliveries, next.id, { ...next, leaseUntil: leaseNext.until }) })
        }),
      defer: (id, at) => Effect.asVoid(store.write((t) => changeDelivery(t, id, (row) => ({ ...row, leaseUntil: null, nextAttemptAt: at })))),
      setFailingSince: (id, since) =>
        store.write((t) =>
          Option.match(HashMap.get(t.webhooks, id), {
            onNone: () => ok(undefined, t),
            onSome: (s) => ok(undefined, { ...t, webhooks: HashMap.set(t.webhooks, id, { ...s, webhook: new Webhook({ ...s.webhook, failingSince: since }) }) })
          })
        ),
      findDelivery: (id) => store.read((t) => Option.map(HashMap.get(t.deliveries, id), toDelivery)),
      listDeliveries: (webhookId, filter, page) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.deliveries).filter(
              (d) =>
                d.webhookId === webhookId &&
                (filter.status === null || d.status === filter.status) &&
                (!filter.failedOnly || d.attempts.some((a) => !a.success)) &&
                (page.after === null || d.id < page.after)
            ),
            Order.reverse(Order.mapInput(Order.string, (d: DeliveryRow) => d.id))
          )
            .slice(0, page.limit + 1)
            .map(toDelivery)
        ),
      redeliver: (id, now) =>
        store.write((t) =>
          changeDelivery(t, id, (row) => ({ ...row, status: "pending", nextAttemptAt: now, finishedAt: null }))
        ),
      skipPending: (webhookId, now) =>
        store.write((t) => {
          let skipped = 0
          const deliveries = HashMap.map(t.deliveries, (d) => {
            if (d.webhookId !== webhookId || d.status !== "pending") return d
            skipped += 1
            return { ...d, status: "skipped" as const, leaseUntil: null, finishedAt: now }
          })
          return ok(skipped, { ...t, deliveries })
        }),
      counts: store.read((t) => {
        const webhooks = rowsOf(t.webhooks)
        const active = webhooks.filter((s) => s.webhook.active).length
        return { active, disabled: webhooks.length - active, pending: rowsOf(t.deliveries).filter((d) => d.status === "pending").length }
      }),
      prune: (before) =>
        store.write((t) => {
          const doomed = (d: DeliveryRow) => d.status !== "pending" && d.finishedAt !== null && DateTime.lessThan(d.finishedAt, before)
          const count = rowsOf(t.deliveries).filter(doomed).length
          return ok(count, { ...t, deliveries: HashMap.filter(t.deliveries, (d) => !doomed(d)) })
        })
    })
  })
)
