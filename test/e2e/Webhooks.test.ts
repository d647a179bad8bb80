import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { TestLive } from "../../layers/Test.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { bootstrapAdmin, HttpTestServer } from "../support/TestApi.js"
import { expectError, get, type Reply, send } from "./Harness.js"

class Admin extends Context.Tag("e2e/WebhooksAdmin")<Admin, Effect.Effect.Success<typeof bootstrapAdmin>>() {}
const App = Layer.effect(Admin, Effect.orDie(bootstrapAdmin)).pipe(
  Layer.provideMerge(HttpAppLive.pipe(Layer.provideMerge(TestLive), Layer.provideMerge(HttpTestServer)))
)

interface Subscription {
  readonly id: string
  readonly url: string
  readonly eventTypes: ReadonlyArray<string> | null
  readonly active: boolean
  readonly secretPrefix: string
  readonly version: number
}
const body = <A>(reply: Reply, status = 200): A => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  return reply.body as A
}

describe("webhooks API", () => {
  layer(App)("subscriptions", (it) => {
    it.effect("creates a subscription and shows its secret once; rotation, changes and deletion are audited without secrets", () =>
      Effect.gen(function* () {
        const { token } = yield* Admin
        const project = body<{ readonly id: string }>(yield* send("POST", "/api/v1/projects", { token, body: { key: "HOOK", name: "Hooks" } }), 201)
        const base = `/api/v1/projects/${project.id}/webhooks`
        const created = body<{ readonly webhook: Subscription; readonly secret: string }>(
          yield* send("POST", base, { token, body: { url: "https://hooks.example.com/in", eventTypes: ["task.created.v1", "task.moved.v1"], description: "CI" } }),
          201
        )
        expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
        expect(created.secret.startsWith(created.webhook.secretPrefix)).toBe(true)
        expect([created.webhook.active, created.webhook.eventTypes, created.webhook.version]).toEqual([true, ["task.created.v1", "task.moved.v1"], 1])
        const read = yield* get(`${base}/${created.webhook.id}`, token)
        expect(read.text).not.toContain(created.secret)
        expect(body<{ readonly items: ReadonlyArray<Subscription> }>(yield* get(base, token)).items.map((w) => w.id)).toEqual([created.webhook.id])

        const rotated = body<{ readonly webhook: Subscription; readonly secret: string }>(yield* send("POST", `${base}/${created.webhook.id}/rotate-secret`, { token }))
        expect(rotated.secret).not.toBe(created.secret)
        const stale = yield* send("PATCH", `${base}/${created.webhook.id}`, { token, body: { version: 1, description: "stale" } })
        expectError(stale, 409, "VersionConflict")
        const updated = body<Subscription>(yield* send("PATCH", `${base}/${created.webhook.id}`, { token, body: { version: rotated.webhook.version, eventTypes: null } }))
        expect(updated.eventTypes).toBeNull()
        expect((yield* send("DELETE", `${base}/${created.webhook.id}`, { token })).status).toBe(204)
        expectError(yield* get(`${base}/${created.webhook.id}`, token), 404, "NotFound")

        const audit = body<{ readonly items: ReadonlyArray<{ readonly action: string; readonly targetId: string }> }>(
          yield* get(`/api/v1/admin/audit?targetId=${created.webhook.id}`, token)
        )
        expect(audit.items.map((row) => row.action).reverse()).toEqual(["webhook.created", "webhook.secret_rotated", "webhook.updated", "webhook.deleted"])
        const trail = JSON.stringify(audit)
        expect(trail).not.toContain(created.secret)
        expect(trail).not.toContain(rotated.secret)
      }))

    it.effect("refuses a bad subscription with 400 naming the field, and stores nothing", () =>
      Effect.gen(function* () {
        const { token } = yield* Admin
        const project = body<{ readonly id: string }>(yield* send("POST", "/api/v1/projects", { token, body: { key: "BAD", name: "Bad" } }), 201)
        const base = `/api/v1/projects/${project.id}/webhooks`
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [{}, "url"],
          [{ url: "not a url" }, "url"],
          // Plain http is off unless WEBHOOK_ALLOW_HTTP says otherwise.
          [{ url: "http://hooks.example.com/" }, "url"],
          [{ url: "https://hooks.example.com/#fragment" }, "url"],
          [{ url: "https://hooks.example.com/", eventTypes: ["task.exploded.v1"] }, "eventTypes"],
          [{ url: "https://hooks.example.com/", eventTypes: [] }, "eventTypes"],
          [{ url: "https://hooks.example.com/", secret: "mine" }, "secret"]
        ]
        for (const [payload, field] of cases) {
          const reply = yield* send("POST", base, { token, body: payload })
          expectError(reply, 400, "ValidationError")
          expect([JSON.stringify(payload), (reply.body as { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<unknown> }> }).issues[0]?.path[0]]).toEqual([JSON.stringify(payload), field])
        }
        expect(body<{ readonly items: ReadonlyArray<unknown> }>(yield* get(base, token)).items).toEqual([])
      }))

    it.effect("queues a ping behind what waits, lists deliveries newest first in keyset pages, and makes a delivery due again", () =>
      Effect.gen(function* () {
        const { token } = yield* Admin
        const project = body<{ readonly id: string }>(yield* send("POST", "/api/v1/projects", { token, body: { key: "PING", name: "Ping" } }), 201)
        const { webhook } = body<{ readonly webhook: Subscription }>(yield* send("POST", `/api/v1/projects/${project.id}/webhooks`, { token, body: { url: "https://hooks.example.com/p" } }), 201)
        const base = `/api/v1/projects/${project.id}/webhooks/${webhook.id}`
        const pings = []
        for (let i = 0; i < 3; i++) pings.push(body<{ readonly id: string; readonly status: string; readonly eventType: string }>(yield* send("POST", `${base}/test`, { token }), 202))
        expect(pings.map((p) => [p.status, p.eventType])).toEqual([["pending", "webhook.ping"], ["pending", "webhook.ping"], ["pending", "webhook.ping"]])
        const first = body<{ readonly items: ReadonlyArray<{ readonly id: string }>; readonly nextCursor: string }>(yield* get(`${base}/deliveries?limit=2`, token))
        const second = body<{ readonly items: ReadonlyArray<{ readonly id: string }>; readonly nextCursor: string | null }>(yield* get(`${base}/deliveries?limit=2&cursor=${first.nextCursor}`, token))
        expect([...first.items, ...second.items].map((d) => d.id)).toEqual(pings.map((p) => p.id).reverse())
        expect(second.nextCursor).toBeNull()
        expect(body<{ readonly items: ReadonlyArray<unknown> }>(yield* get(`${base}/deliveries?status=delivered`, token)).items).toEqual([])
        expectError(yield* get(`${base}/deliveries?status=lost`, token), 400, "ValidationError")
        expect(body<{ readonly status: string }>(yield* send("POST", `${base}/deliveries/${pings[0]!.id}/redeliver`, { token }), 202).status).toBe("pending")
        expectError(yield* get(`${base}/deliveries/${webhook.id}`, token), 404, "NotFound")
      }))
  })
})
