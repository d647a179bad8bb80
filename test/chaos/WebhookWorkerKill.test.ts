/**
 * A `flowboard worker` killed with SIGKILL in the middle of a webhook delivery (its receiver
 * holds the request open): the delivery's lease runs out and a second worker sends it, then
 * everything queued behind it, in order. Counted at the receiver: every event arrives with a 2xx
 * answer, and the only repeat is the delivery the killed worker never got an answer for.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { makeScratchDatabase, skipPostgres } from "../support/Database.js"
import { probe } from "../support/HttpProbe.js"
import { hangFirst, receiverScoped } from "../support/WebhookReceivers.js"
import { awaitKey, freePort, probeUntil, spawnFlowboard } from "./Processes.js"

const json = (body: string): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

describe.skipIf(skipPostgres)("webhook worker killed mid-delivery", () => {
  it.scopedLive("the delivery is sent again by the next worker after its lease; all events arrive in order, 0 lost", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const port = yield* freePort
      const serve = yield* spawnFlowboard(["serve"], { DATABASE_URL: url, PORT: String(port), HOST: "127.0.0.1", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" })
      expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), (o) => o._tag === "Answered" && o.status === 200, { within: "90 seconds" })).reached).toBe(true)
      const key = yield* awaitKey(serve)
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
      const call = (method: string, path: string, body?: unknown) =>
        Effect.map(probe({ port, method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), (o) => (o._tag === "Answered" ? { status: o.status, body: json(o.body) } : { status: 0, body: {} }))

      const receiver = yield* receiverScoped({ behaviour: hangFirst(1) })
      const project = yield* call("POST", "/api/v1/projects", { key: "KILL", name: "kill" })
      const projectId = String(project.body["id"])
      const created = yield* call("POST", `/api/v1/projects/${projectId}/webhooks`, { url: receiver.url, eventTypes: ["task.created.v1"] })
      expect(created.status).toBe(201)
      receiver.setSecrets([String(created.body["secret"])])
      const webhookId = String((created.body["webhook"] as Record<string, unknown>)["id"])

      const workerEnv = {
        DATABASE_URL: url,
        WEBHOOK_ALLOW_HTTP: "true",
        WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
        // An attempt may take 2 s; its lease is that and 5 s more.
        WEBHOOK_TIMEOUT: "2 seconds",
        WEBHOOK_POLL_INTERVAL: "200 millis",
        RELAY_POLL_INTERVAL: "100 millis"
      }
      const doomed = yield* spawnFlowboard(["worker"], workerEnv)
      const titles = ["one", "two", "three", "four", "five"]
      for (const title of titles) expect((yield* call("POST", `/api/v1/projects/${projectId}/tasks`, { title })).status).toBe(201)
      yield* Effect.promise(() => receiver.waitFor((all) => all.length >= 1, 30_000))
      // The worker is inside the first delivery, waiting for an answer that will not come.
      yield* doomed.kill("SIGKILL")
      yield* doomed.exited
      const killedAt = Date.now()

      yield* spawnFlowboard(["worker"], workerEnv)
      yield* Effect.promise(() => receiver.waitFor((all) => all.length >= titles.length + 1, 60_000))
      const arrived = receiver.received.map((r) => String((json(r.body)["data"] as Record<string, unknown>)["title"]))
      expect(arrived).toEqual(["one", ...titles])
      expect(receiver.received.every((r) => r.verified)).toBe(true)
      // Sent again only once the killed worker's lease had run out.
      expect(receiver.received[1]!.at - killedAt).toBeGreaterThan(1_000)

      const log = yield* call("GET", `/api/v1/projects/${projectId}/webhooks/${webhookId}/deliveries?limit=50`)
      const items = (log.body["items"] ?? []) as ReadonlyArray<{ readonly status: string; readonly attempts: ReadonlyArray<{ readonly statusCode: number | null }> }>
      expect(items.map((d) => d.status)).toEqual(titles.map(() => "delivered"))
      // The killed attempt left no record: it never finished.
      expect(items.map((d) => d.attempts.map((a) => a.statusCode))).toEqual(titles.map(() => [204]))
      yield* Effect.logInfo("chaos: webhook worker killed mid-delivery").pipe(
        Effect.annotateLogs({ events: titles.length, received: receiver.received.length, lost: titles.length - new Set(receiver.verifiedIds()).size, resentAfterMs: receiver.received[1]!.at - killedAt })
      )
      expect(Option.some(new Set(receiver.verifiedIds()).size)).toEqual(Option.some(titles.length))
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })
})
