import { describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Metric, MetricState } from "effect"
import { HttpAppLive } from "../../../src/http/Server.js"
import { ConsumerProcessor } from "../../../src/events/ConsumerProcessor.js"
import { ConsumerRuntimeLive } from "../../../src/events/ConsumerRuntime.js"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import { RelayLive } from "../../../src/events/Relay.js"
import { DeliveryWorkerLive } from "../../../src/webhooks/DeliveryWorker.js"
import { ServicesLive } from "../../../layers/Services.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { SqlReadiness } from "../../../src/repositories/sql/SqlReadiness.js"
import { PgliteTest } from "../../support/Database.js"
import { get, type Reply, send } from "../../e2e/Harness.js"
import { bootstrapAdmin, HttpTestServer } from "../../support/TestApi.js"
import { always, failTimes, gone, hangFirst, ok, rateLimited, type Receiver, receiverScoped } from "../../support/WebhookReceivers.js"

/**
 * Webhooks end to end in one process, against real HTTP receivers on loopback: the API, the
 * outbox relay, the event consumers (in-process transport), the `webhooks` handler and the
 * delivery worker, on PGlite, with the schedules shortened.
 */
const worldWith = (settings: Readonly<Record<string, string>>) => {
  const config = ConfigProvider.fromMap(
    new Map(Object.entries({
      WEBHOOK_ALLOW_HTTP: "true",
      WEBHOOK_RETRY_BASE: "20 millis",
      WEBHOOK_RETRY_CAP: "100 millis",
      WEBHOOK_TIMEOUT: "400 millis",
      WEBHOOK_POLL_INTERVAL: "50 millis",
      RELAY_POLL_INTERVAL: "20 millis",
      ...settings
    }))
  ).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
  const app = HttpAppLive.pipe(
    Layer.provideMerge(Layer.mergeAll(ServicesLive, SqlReadiness("test")).pipe(Layer.provideMerge(SqlRepositoriesLive))),
    Layer.provideMerge(HttpTestServer),
    Layer.provideMerge(InProcessTransport.layer()),
    Layer.provideMerge(PgliteTest)
  )
  const workers = Layer.mergeAll(RelayLive, ConsumerRuntimeLive.pipe(Layer.provide(ConsumerProcessor.Default)), DeliveryWorkerLive)
  return Layer.effect(Admin, Effect.orDie(bootstrapAdmin)).pipe(
    Layer.provideMerge(workers.pipe(Layer.provideMerge(app))),
    Layer.provide(Layer.setConfigProvider(config))
  )
}

class Admin extends Context.Tag("test/WebhookAdmin")<Admin, Effect.Effect.Success<typeof bootstrapAdmin>>() {}

interface Attempt {
  readonly attempt: number
  readonly startedAt: string
  readonly durationMs: number
  readonly statusCode: number | null
  readonly error: string | null
  readonly success: boolean
}
interface Delivery {
  readonly id: string
  readonly eventId: string
  readonly eventType: string
  readonly status: string
  readonly attempts: ReadonlyArray<Attempt>
}
interface Subscription {
  readonly id: string
  readonly active: boolean
  readonly version: number
  readonly disabledReason: string | null
}

const ok2xx = (reply: Reply) => {
  expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300)
  return reply.body
}

let projects = 0
/** A project of the admin's with a subscription of `receiver`; the receiver is told the secret. */
const subscribed = (receiver: Receiver, extra: Record<string, unknown> = {}, url = receiver.url) =>
  Effect.gen(function* () {
    const { token } = yield* Admin
    projects += 1
    const project = ok2xx(yield* send("POST", "/api/v1/projects", { token, body: { key: `WH${projects}`, name: `Webhooks ${projects}` } })) as { readonly id: string }
    const created = ok2xx(yield* send("POST", `/api/v1/projects/${project.id}/webhooks`, { token, body: { url, eventTypes: ["task.created.v1"], ...extra } }))
    const { webhook, secret } = created as { readonly webhook: Subscription; readonly secret: string }
    receiver.setSecrets([secret])
    const base = `/api/v1/projects/${project.id}/webhooks/${webhook.id}`
    const createTask = (title: string) => send("POST", `/api/v1/projects/${project.id}/tasks`, { token, body: { title } }).pipe(Effect.map(ok2xx))
    const deliveries = (query = "") =>
      Effect.map(get(`${base}/deliveries?limit=200${query}`, token), (reply) => (ok2xx(reply) as { readonly items: ReadonlyArray<Delivery> }).items)
    const subscription = Effect.map(get(base, token), (reply) => ok2xx(reply) as Subscription)
    return { token, project, webhook, secret, base, createTask, deliveries, subscription }
  })

const arrived = (receiver: Receiver, n: number, ms = 10_000) => Effect.promise(() => receiver.waitFor((all) => all.length >= n, ms))
const titlesOf = (receiver: Receiver) => receiver.received.map((r) => (JSON.parse(r.body) as { readonly data: { readonly title?: string } }).data.title)
/** Attempts counted with this outcome, over every status class. */
const counted = (outcome: string) =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs
      .filter((pair) => pair.metricKey.name === "flowboard_webhook_deliveries_total")
      .filter((pair) => pair.metricKey.tags.some((tag) => tag.key === "outcome" && tag.value === outcome))
      .reduce((sum, pair) => sum + (MetricState.isCounterState(pair.metricState) ? Number(pair.metricState.count) : 0), 0))

/** Reads `effect` until `done` holds, every 25 ms, for at most 10 s (real receivers, real time); the last reading. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400; i++) {
      const reading = yield* effect
      if (done(reading)) return reading
      yield* Effect.sleep("25 millis")
    }
    return yield* effect
  })

describe("webhook deliveries", () => {
  layer(worldWith({ WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", WEBHOOK_BREAKER_WINDOW: "4", WEBHOOK_BREAKER_MINIMUM_CALLS: "4", WEBHOOK_BREAKER_OPEN_FOR: "400 millis", WEBHOOK_BREAKER_TRIAL_CALLS: "1", WEBHOOK_MAX_ATTEMPTS: "8" }), {
    excludeTestServices: true
  })("to allowlisted loopback receivers", (it) => {
    it.scoped("delivers every event once, signed and verified by an independent implementation, in the order of the events", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: ok })
        const hook = yield* subscribed(receiver)
        const titles = Array.from({ length: 30 }, (_, i) => `task ${i}`)
        for (const title of titles) yield* hook.createTask(title)
        yield* arrived(receiver, 30)
        const log = yield* eventually(hook.deliveries(), (all) => all.filter((d) => d.status === "delivered").length === 30)
        expect(log.filter((d) => d.status === "delivered")).toHaveLength(30)
        // Lost: none; duplicated: none (every answer was 2xx); all verified with the secret shown once.
        expect(receiver.received).toHaveLength(30)
        expect(new Set(receiver.verifiedIds()).size).toBe(30)
        expect(titlesOf(receiver)).toEqual(titles)
        expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(log.map((d) => d.eventId)))
        const first = JSON.parse(receiver.received[0]!.body) as Record<string, unknown>
        expect(Object.keys(first).sort()).toEqual(["data", "timestamp", "type"])
        expect(first["type"]).toBe("task.created.v1")
        expect(JSON.stringify(first)).not.toMatch(/correlationId|traceparent|causationId/)
        // Nor in the headers: our trace context is not the receiver's.
        expect(Object.keys(receiver.received[0]!.headers).filter((h) => /^(traceparent|tracestate|b3|x-request-id)$/.test(h))).toEqual([])
        expect(log.every((d) => d.attempts.length === 1 && d.attempts[0]!.statusCode === 204 && d.attempts[0]!.success)).toBe(true)
      }))

    it.scoped("retries a failing receiver on the schedule, holds later events behind it, and logs every attempt", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: failTimes(3, 503) })
        const hook = yield* subscribed(receiver)
        for (const title of ["first", "second", "third"]) yield* hook.createTask(title)
        yield* arrived(receiver, 6)
        expect(titlesOf(receiver)).toEqual(["first", "first", "first", "first", "second", "third"])
        // Same webhook-id and body on every attempt: the receiver can tell a retry from a new event.
        expect(new Set(receiver.received.slice(0, 4).map((r) => r.id)).size).toBe(1)
        expect(new Set(receiver.received.slice(0, 4).map((r) => r.body)).size).toBe(1)
        const failing = yield* hook.deliveries("&failed=true")
        expect(failing).toHaveLength(1)
        expect(failing[0]!.attempts.map((a) => [a.statusCode, a.success])).toEqual([[503, false], [503, false], [503, false], [204, true]])
        expect(failing[0]!.attempts[0]!.error).toContain("503")
        yield* Effect.logWarning("figures: fail 3 then succeed").pipe(
          Effect.annotateLogs({ requests: receiver.received.length, firstToLastMs: receiver.received[3]!.at - receiver.received[0]!.at })
        )
        expect((yield* hook.subscription).active).toBe(true)
      }))

    it.scoped("waits as long as a 429's Retry-After asks, longer than the schedule would", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: rateLimited(1, 1) })
        const hook = yield* subscribed(receiver)
        yield* hook.createTask("limited")
        yield* arrived(receiver, 2)
        const [refused, accepted] = receiver.received
        expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(1000)
        yield* Effect.logWarning("figures: Retry-After 1 s").pipe(Effect.annotateLogs({ waitedMs: accepted!.at - refused!.at }))
        const [delivery] = yield* eventually(hook.deliveries(), (log) => log[0]?.status === "delivered")
        expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([429, 204])
      }))

    it.scoped("gives up on a receiver that does not answer within WEBHOOK_TIMEOUT, and tries again", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: hangFirst(1) })
        const hook = yield* subscribed(receiver)
        yield* hook.createTask("slow")
        yield* arrived(receiver, 2)
        const [delivery] = yield* eventually(hook.deliveries(), (log) => log[0]?.status === "delivered")
        const [hung, answered] = delivery!.attempts
        expect([hung!.statusCode, hung!.success, answered!.statusCode]).toEqual([null, false, 204])
        expect(hung!.error).toMatch(/timed out/)
        expect(hung!.durationMs).toBeGreaterThanOrEqual(390)
      }))

    it.scoped("disables a subscription whose receiver answers 410 at once; re-enabled, it delivers what waited, in order", () =>
      Effect.gen(function* () {
        let answer = gone
        const receiver = yield* receiverScoped({ behaviour: (request, index) => answer(request, index) })
        const hook = yield* subscribed(receiver)
        yield* hook.createTask("before")
        yield* arrived(receiver, 1)
        const disabled = yield* eventually(hook.subscription, (s) => !s.active)
        expect(disabled.disabledReason).toContain("410")
        yield* hook.createTask("while disabled")
        const waiting = yield* eventually(hook.deliveries(), (log) => log.length === 2)
        expect(waiting.map((d) => d.status)).toEqual(["pending", "pending"])
        expect(receiver.received).toHaveLength(1)
        const audit = ok2xx(yield* get(`/api/v1/admin/audit?action=webhook.disabled&targetId=${hook.webhook.id}`, hook.token)) as { readonly items: ReadonlyArray<{ readonly details: { readonly reason: string } }> }
        expect(audit.items.map((row) => row.details.reason)).toEqual([disabled.disabledReason])

        answer = ok
        ok2xx(yield* send("PATCH", hook.base, { token: hook.token, body: { version: disabled.version, active: true } }))
        yield* arrived(receiver, 3)
        expect(titlesOf(receiver)).toEqual(["before", "before", "while disabled"])
        expect(receiver.received.map((r) => r.verified)).toEqual([true, true, true])
      }))

    it.scoped("an open breaker holds a dead receiver's deliveries without spending attempts, then they resume in order", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: failTimes(4, 500) })
        const hook = yield* subscribed(receiver)
        const deferredBefore = yield* counted("deferred")
        for (const title of ["a", "b"]) yield* hook.createTask(title)
        yield* arrived(receiver, 6)
        expect(titlesOf(receiver)).toEqual(["a", "a", "a", "a", "a", "b"])
        expect((yield* counted("deferred")) - deferredBefore).toBeGreaterThan(0)
        const log = yield* hook.deliveries("&failed=true")
        const attempts = log[0]!.attempts
        expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500, 204])
        // The schedule waits at most 100 ms; the breaker held the fifth attempt for its 400 ms.
        expect(Date.parse(attempts[4]!.startedAt) - Date.parse(attempts[3]!.startedAt)).toBeGreaterThanOrEqual(390)
        yield* Effect.logWarning("figures: breaker").pipe(
          Effect.annotateLogs({ heldMs: Date.parse(attempts[4]!.startedAt) - Date.parse(attempts[3]!.startedAt), deferred: (yield* counted("deferred")) - deferredBefore, requests: receiver.received.length })
        )
      }))

    it.scoped("after a rotation both secrets sign until the grace period ends; a ping reaches the receiver", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: ok })
        const hook = yield* subscribed(receiver)
        const rotated = ok2xx(yield* send("POST", `${hook.base}/rotate-secret`, { token: hook.token })) as { readonly secret: string; readonly webhook: { readonly previousSecretExpiresAt: string | null } }
        expect(rotated.secret).not.toBe(hook.secret)
        expect(rotated.webhook.previousSecretExpiresAt).not.toBeNull()
        receiver.setSecrets([hook.secret])
        const ping = ok2xx(yield* send("POST", `${hook.base}/test`, { token: hook.token })) as Delivery
        yield* arrived(receiver, 1)
        // Redelivered once delivered (a redelivery asked for while the attempt is in flight is that attempt).
        yield* eventually(hook.deliveries(), (log) => log[0]?.status === "delivered")
        receiver.setSecrets([rotated.secret])
        ok2xx(yield* send("POST", `${hook.base}/deliveries/${ping.id}/redeliver`, { token: hook.token }))
        yield* arrived(receiver, 2)
        expect(receiver.received.map((r) => [r.type, r.verified, r.signature.split(" ").length])).toEqual([["webhook.ping", true, 2], ["webhook.ping", true, 2]])
        expect(receiver.received[0]!.id).toBe(receiver.received[1]!.id)
      }))
  })

  layer(worldWith({ WEBHOOK_ALLOWED_HOSTS: "", WEBHOOK_DISABLE_AFTER: "300 millis", WEBHOOK_MAX_ATTEMPTS: "100" }), { excludeTestServices: true })("without an allowlist", (it) => {
    it.effect("refuses receivers on loopback, private, link-local and metadata addresses when subscribing", () =>
      Effect.gen(function* () {
        const { token } = yield* Admin
        const project = ok2xx(yield* send("POST", "/api/v1/projects", { token, body: { key: "SSRF", name: "ssrf" } })) as { readonly id: string }
        for (const url of ["http://127.0.0.1/hook", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://0.0.0.0/", "ftp://example.com/", "https://user:pw@example.com/"]) {
          const reply = yield* send("POST", `/api/v1/projects/${project.id}/webhooks`, { token, body: { url } })
          expect([url, reply.status]).toEqual([url, 400])
          expect((reply.body as { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<string> }> }).issues[0]!.path).toEqual(["url"])
        }
        expect(ok2xx(yield* get(`/api/v1/projects/${project.id}/webhooks`, token))).toEqual({ items: [], nextCursor: null })
      }))

    it.scoped("refuses a host name that resolves to loopback at delivery time, logs why, and disables the subscription after WEBHOOK_DISABLE_AFTER", () =>
      Effect.gen(function* () {
        const receiver = yield* receiverScoped({ behaviour: always(204) })
        const hook = yield* subscribed(receiver, {}, receiver.url.replace("127.0.0.1", "localhost"))
        yield* hook.createTask("never sent")
        const disabled = yield* eventually(hook.subscription, (s) => !s.active)
        expect(disabled.disabledReason).toMatch(/WEBHOOK_DISABLE_AFTER/)
        const [delivery] = yield* hook.deliveries()
        expect(delivery!.status).toBe("pending")
        expect(delivery!.attempts.length).toBeGreaterThan(1)
        expect(delivery!.attempts.every((a) => a.statusCode === null && /loopback/.test(a.error ?? ""))).toBe(true)
        expect(receiver.received).toHaveLength(0)
      }))
  })
})
