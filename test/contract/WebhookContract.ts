import { describe, expect } from "@effect/vitest"
import { DateTime, Duration, Effect, Option } from "effect"
import { EventId, newId, type ProjectId, type UserId } from "../../src/domain/Ids.js"
import { DeliveryAttempt, DeliveryId, Webhook, WebhookId, type WebhookEventType } from "../../src/domain/Webhook.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { type StoredWebhook, WebhookRepository } from "../../src/repositories/WebhookRepository.js"
import { allPages, expectNone, expectSome, ids } from "./Assertions.js"
import { at, givenProject } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

const aWebhook = (projectId: ProjectId, createdBy: UserId, fields: Partial<Webhook> = {}): StoredWebhook => ({
  webhook: new Webhook({
    id: newId(WebhookId),
    projectId,
    url: "https://hooks.example.com/ünïcode?x=1",
    description: "",
    eventTypes: null,
    active: true,
    disabledReason: null,
    disabledAt: null,
    failingSince: null,
    secretPrefix: "whsec_abcd",
    previousSecretExpiresAt: null,
    createdBy,
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    ...fields
  }),
  secret: "whsec_abcdEFGH",
  previousSecret: null
})

const aDelivery = (webhookId: WebhookId, offsetMs: number, type: WebhookEventType = "task.created.v1") => ({
  id: newId(DeliveryId),
  webhookId,
  eventId: newId(EventId),
  eventType: type,
  body: `{"n":${offsetMs}}`,
  createdAt: at(offsetMs)
})

const anAttempt = (attempt: number, success: boolean) =>
  new DeliveryAttempt({ attempt, startedAt: at(attempt), durationMs: 12, statusCode: success ? 204 : 500, responseBody: success ? "" : "down", error: success ? null : "the receiver answered 500", success })

/** A project with one subscription (and any more fields for it). */
const given = (fields: Partial<Webhook> = {}) =>
  Effect.gen(function* () {
    const { owner, project } = yield* givenProject()
    const stored = aWebhook(project.id, owner.id, fields)
    yield* (yield* WebhookRepository).insert(stored)
    return { owner, project, stored, id: stored.webhook.id }
  })

const lease = (now: DateTime.Utc) => DateTime.addDuration(now, Duration.minutes(1))

/** What `claimDue` hands this test: other tests' subscriptions share the database. */
const claimFor = (ids: ReadonlyArray<WebhookId>, now: DateTime.Utc) =>
  Effect.map(Effect.flatMap(WebhookRepository, (r) => r.claimDue(now, lease(now), 1000)), (due) => due.filter((d) => ids.includes(d.subscription.webhook.id)))

export const webhookContract = (it: ContractIt) =>
  describe("WebhookRepository", () => {
    it.effect("stores a subscription with its secrets, updates it by version, pages a project's, deletes it", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { owner, project, stored } = yield* given({ eventTypes: ["task.created.v1", "webhook.ping"], description: "CI" })
        const found = yield* webhooks.find(stored.webhook.id)
        expectSome(Webhook, Option.map(found, (s) => s.webhook), stored.webhook)
        expect(Option.map(found, (s) => [s.secret, s.previousSecret])).toEqual(Option.some(["whsec_abcdEFGH", null]))
        const next = { ...stored, webhook: new Webhook({ ...stored.webhook, active: false, disabledReason: "gone", disabledAt: at(5), previousSecretExpiresAt: at(9), version: 2 }), previousSecret: "whsec_old" }
        expect(yield* webhooks.update(next, 1)).toBe(true)
        expect(yield* webhooks.update({ ...next, webhook: new Webhook({ ...next.webhook, version: 2 }) }, 1)).toBe(false)
        expect(Option.map(yield* webhooks.find(stored.webhook.id), (s) => [s.webhook.version, s.webhook.disabledReason, s.previousSecret])).toEqual(Option.some([2, "gone", "whsec_old"]))
        yield* webhooks.setFailingSince(stored.webhook.id, at(7))
        expect(Option.map(yield* webhooks.find(stored.webhook.id), (s) => [s.webhook.failingSince, s.webhook.version])).toEqual(Option.some([at(7), 2]))
        const more = [aWebhook(project.id, owner.id), aWebhook(project.id, owner.id)]
        for (const w of more) yield* webhooks.insert(w)
        const pages = yield* allPages((page) => webhooks.listByProject(project.id, page), 2)
        expect(pages.flatMap(ids)).toStrictEqual([stored, ...more].map((s) => s.webhook.id).sort())
        expect(yield* webhooks.delete(stored.webhook.id)).toBe(true)
        expectNone(yield* webhooks.find(stored.webhook.id))
        expect(yield* webhooks.delete(stored.webhook.id)).toBe(false)
      }))

    it.effect("finds the subscriptions that want an event type, active or not, in the project only", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { owner, project, id: all } = yield* given()
        const moved = aWebhook(project.id, owner.id, { eventTypes: ["task.moved.v1"], active: false })
        yield* webhooks.insert(moved)
        yield* given()
        expect(yield* webhooks.subscribers(project.id, "task.created.v1")).toEqual([all])
        expect([...(yield* webhooks.subscribers(project.id, "task.moved.v1"))].sort()).toEqual([all, moved.webhook.id].sort())
      }))

    it.effect("hands out only the head of each active subscription's queue, when due and not leased, and records each delivery once", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { id } = yield* given()
        const { id: paused } = yield* given({ active: false })
        const [first, second] = [aDelivery(id, 10), aDelivery(id, 20)]
        yield* webhooks.enqueue([first, second, aDelivery(paused, 10)])
        // Recorded again (the event handled twice): still one delivery.
        yield* webhooks.enqueue([{ ...first, id: newId(DeliveryId) }])
        expect(yield* claimFor([id, paused], at(5))).toEqual([])
        const [head, ...rest] = yield* claimFor([id, paused], at(30))
        expect([head?.id, head?.attempts, head?.body, head?.subscription.secret, rest]).toEqual([first.id, 0, first.body, "whsec_abcdEFGH", []])
        // Leased: nobody else gets it, nor what waits behind it, until the lease runs out.
        expect(yield* claimFor([id], at(31))).toEqual([])
        expect((yield* claimFor([id], DateTime.addDuration(at(31), Duration.minutes(2)))).map((d) => d.id)).toEqual([first.id])

        yield* webhooks.recordAttempt(first.id, anAttempt(1, false), { _tag: "Retry", at: at(1_000) })
        expect(yield* claimFor([id], at(999))).toEqual([])
        const again = yield* claimFor([id], at(1_000))
        expect(again.map((d) => [d.id, d.attempts])).toEqual([[first.id, 1]])
        yield* webhooks.recordAttempt(first.id, anAttempt(2, true), { _tag: "Finished", status: "delivered", at: at(1_001) })
        expect((yield* claimFor([id], at(1_002))).map((d) => d.id)).toEqual([second.id])
        yield* webhooks.defer(second.id, at(5_000))
        expect(yield* claimFor([id], at(4_999))).toEqual([])
        expect((yield* claimFor([id], at(5_000))).map((d) => [d.id, d.attempts])).toEqual([[second.id, 0]])
      }))

    it.effect("leases a finished delivery's successor in the same step, when it is due, unleased and its subscription active", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { id, stored } = yield* given()
        const [first, second, third] = [aDelivery(id, 10), aDelivery(id, 20), aDelivery(id, 30)]
        yield* webhooks.enqueue([first, second, third])
        const next = (now: DateTime.Utc) => ({ webhookId: id, now, until: lease(now) })
        expect((yield* claimFor([id], at(40))).map((d) => d.id)).toEqual([first.id])
        // A retry keeps the queue on this delivery: no successor.
        expect(yield* webhooks.recordAttempt(first.id, anAttempt(1, false), { _tag: "Retry", at: at(41) }, next(at(40)))).toEqual(Option.none())
        expect((yield* claimFor([id], at(41))).map((d) => d.id)).toEqual([first.id])
        const successor = yield* webhooks.recordAttempt(first.id, anAttempt(2, true), { _tag: "Finished", status: "delivered", at: at(42) }, next(at(42)))
        expect(Option.map(successor, (d) => [d.id, d.attempts, d.body, d.subscription.secret])).toEqual(Option.some([second.id, 0, second.body, stored.secret]))
        // Leased with it: nobody else is handed the new head.
        expect(yield* claimFor([id], at(43))).toEqual([])
        const paused = yield* webhooks.find(id)
        const off = Option.getOrThrow(paused)
        yield* webhooks.update({ ...off, webhook: new Webhook({ ...off.webhook, active: false, version: off.webhook.version + 1 }) }, off.webhook.version)
        expect(yield* webhooks.recordAttempt(second.id, anAttempt(1, true), { _tag: "Finished", status: "failed", at: at(44) }, next(at(44)))).toEqual(Option.none())
        expect(Option.map(yield* webhooks.findDelivery(third.id), (d) => d.status)).toEqual(Option.some("pending"))
      }))

    it.effect("lists a subscription's deliveries newest first with their attempts, filtered by status or failures", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { id } = yield* given()
        const made = [aDelivery(id, 1), aDelivery(id, 2), aDelivery(id, 3)]
        yield* webhooks.enqueue(made)
        yield* webhooks.recordAttempt(made[0]!.id, anAttempt(1, false), { _tag: "Retry", at: at(10) })
        yield* webhooks.recordAttempt(made[0]!.id, anAttempt(2, true), { _tag: "Finished", status: "delivered", at: at(11) })
        yield* webhooks.recordAttempt(made[1]!.id, anAttempt(1, true), { _tag: "Finished", status: "delivered", at: at(12) })
        const everything = yield* allPages((page) => webhooks.listDeliveries(id, { status: null, failedOnly: false }, page), 2)
        expect(everything.flatMap(ids)).toStrictEqual(made.map((d) => d.id).reverse())
        const delivered = yield* webhooks.listDeliveries(id, { status: "delivered", failedOnly: false }, { limit: 10, after: null })
        expect(ids(delivered)).toStrictEqual([made[1]!.id, made[0]!.id])
        const failing = yield* webhooks.listDeliveries(id, { status: null, failedOnly: true }, { limit: 10, after: null })
        expect(failing.map((d) => [d.id, d.status, d.attempts.map((a) => [a.attempt, a.statusCode, a.error])])).toStrictEqual([
          [made[0]!.id, "delivered", [[1, 500, "the receiver answered 500"], [2, 204, null]]]
        ])
        expect(Option.map(yield* webhooks.findDelivery(made[2]!.id), (d) => [d.status, d.attempts.length, d.nextAttemptAt !== null])).toEqual(Option.some(["pending", 0, true]))
      }))

    it.effect("redelivers, skips what waits, counts, prunes finished deliveries, and goes with its project", () =>
      Effect.gen(function* () {
        const webhooks = yield* WebhookRepository
        const { project, id } = yield* given()
        const before = yield* webhooks.counts
        const [done, waiting] = [aDelivery(id, 1), aDelivery(id, 2)]
        yield* webhooks.enqueue([done, waiting])
        yield* webhooks.recordAttempt(done.id, anAttempt(1, true), { _tag: "Finished", status: "delivered", at: at(3) })
        expect((yield* webhooks.counts).pending - before.pending).toBe(1)
        expect(yield* webhooks.redeliver(done.id, at(4))).toBe(true)
        expect(yield* webhooks.redeliver(newId(DeliveryId), at(4))).toBe(false)
        expect((yield* claimFor([id], at(4))).map((d) => [d.id, d.attempts])).toEqual([[done.id, 1]])
        expect(yield* webhooks.skipPending(id, at(5))).toBe(2)
        expect(Option.map(yield* webhooks.findDelivery(waiting.id), (d) => d.status)).toEqual(Option.some("skipped"))
        expect(yield* claimFor([id], at(6))).toEqual([])
        // Finished before the cutoff: pruned; the counts are of the whole database, so deltas.
        expect(yield* webhooks.prune(at(6))).toBeGreaterThanOrEqual(2)
        expectNone(yield* webhooks.findDelivery(waiting.id))
        yield* webhooks.enqueue([aDelivery(id, 7)])
        yield* (yield* ProjectRepository).delete(project.id)
        expectNone(yield* webhooks.find(id))
        expect((yield* webhooks.counts).pending).toBe(before.pending)
      }))
  })
