import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect } from "effect"
import { randomBytes } from "node:crypto"
import { failTimes, gone, hangFirst, rateLimited, receiverScoped, sign } from "../../support/WebhookReceivers.js"

const secret = () => `whsec_${randomBytes(24).toString("base64")}`
const body = JSON.stringify({ type: "task.created", timestamp: "2024-05-01T12:00:00.000Z", data: { taskId: "t1" } })

interface Delivery {
  readonly id?: string
  readonly signatures?: (id: string, timestamp: number) => ReadonlyArray<string>
  readonly signal?: AbortSignal
}

/** One POST as a Standard Webhooks sender makes it; the signatures default to none. */
const deliver = (url: string, delivery: Delivery = {}) => {
  const id = delivery.id ?? `msg_${randomBytes(6).toString("hex")}`
  const timestamp = Math.floor(Date.now() / 1000)
  const signatures = delivery.signatures?.(id, timestamp) ?? []
  return Effect.tryPromise(() =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatures.join(" ") },
      body,
      ...(delivery.signal === undefined ? {} : { signal: delivery.signal })
    })
  )
}

const statuses = (url: string, count: number) =>
  Effect.forEach(Array.from({ length: count }), () => Effect.map(deliver(url), (response) => response.status))

describe("WebhookReceivers", () => {
  it.scopedLive("records and verifies a request signed with the library's reference signature", () =>
    Effect.gen(function* () {
      const key = secret()
      const receiver = yield* receiverScoped({ secrets: [key] })
      const response = yield* deliver(receiver.url, { id: "msg_1", signatures: (id, ts) => [sign(key, id, ts, body)] })
      expect(response.status).toBe(204)
      expect(receiver.received).toHaveLength(1)
      expect(receiver.received[0]).toMatchObject({ id: "msg_1", body, type: "task.created", verified: true })
      expect(receiver.received[0]?.headers["content-type"]).toBe("application/json")
      expect(receiver.verifiedIds()).toEqual(["msg_1"])
    }))

  it.scopedLive("records a request signed with another secret, unverified", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ secrets: [secret()] })
      const other = secret()
      yield* deliver(receiver.url, { id: "msg_wrong", signatures: (id, ts) => [sign(other, id, ts, body)] })
      yield* deliver(receiver.url, { id: "msg_unsigned" })
      expect(receiver.received.map((r) => [r.id, r.verified])).toEqual([["msg_wrong", false], ["msg_unsigned", false]])
      expect(receiver.verifiedIds()).toEqual([])
    }))

  it.scopedLive("verifies a rotation's two signatures when only the second matches, and follows setSecrets", () =>
    Effect.gen(function* () {
      const [retired, current, next] = [secret(), secret(), secret()]
      const receiver = yield* receiverScoped({ secrets: [current] })
      yield* deliver(receiver.url, { id: "msg_rotating", signatures: (id, ts) => [sign(retired, id, ts, body), sign(current, id, ts, body)] })
      receiver.setSecrets([next])
      yield* deliver(receiver.url, { id: "msg_stale", signatures: (id, ts) => [sign(current, id, ts, body)] })
      expect(receiver.received.map((r) => r.signature.split(" ").length)).toEqual([2, 1])
      expect(receiver.verifiedIds()).toEqual(["msg_rotating"])
    }))

  it.scopedLive("failTimes(2) answers 500, 500, then 204", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ behaviour: failTimes(2) })
      expect(yield* statuses(receiver.url, 3)).toEqual([500, 500, 204])
    }))

  it.scopedLive("rateLimited answers 429 with Retry-After, then 204", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ behaviour: rateLimited(7, 1) })
      const limited = yield* deliver(receiver.url)
      expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "7"])
      expect(yield* statuses(receiver.url, 1)).toEqual([204])
    }))

  it.scopedLive("gone answers 410", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ behaviour: gone })
      expect(yield* statuses(receiver.url, 2)).toEqual([410, 410])
    }))

  it.scopedLive("hangFirst(1) leaves the first request unanswered past the client's deadline, then answers 204", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ behaviour: hangFirst(1) })
      const started = Date.now()
      const failure = yield* Effect.flip(deliver(receiver.url, { signal: AbortSignal.timeout(200) }))
      expect(Date.now() - started).toBeGreaterThanOrEqual(190)
      expect(failure.error).toMatchObject({ name: "TimeoutError" })
      expect(yield* statuses(receiver.url, 1)).toEqual([204])
      expect(receiver.received).toHaveLength(2)
    }))

  it.scopedLive("close() ends a hanging request", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ behaviour: hangFirst(1) })
      const pending = yield* Effect.fork(Effect.flip(deliver(receiver.url)))
      yield* Effect.promise(() => receiver.waitFor((all) => all.length === 1, 1_000))
      yield* Effect.promise(() => receiver.close())
      // Flipped: the client's request failing (the socket destroyed) is the success here.
      const outcome = yield* pending.await
      expect(outcome._tag).toBe("Success")
    }))

  it.scopedLive("waitFor rejects after its bound, listing what arrived", () =>
    Effect.gen(function* () {
      const receiver = yield* receiverScoped({ secrets: [secret()] })
      yield* deliver(receiver.url, { id: "msg_seen" })
      const started = Date.now()
      const failure = yield* Effect.flip(Effect.tryPromise(() => receiver.waitFor((all) => all.length === 2, 50)))
      expect(Date.now() - started).toBeGreaterThanOrEqual(45)
      expect(Cause.isUnknownException(failure)).toBe(true)
      expect(String(failure.error)).toMatch(/not satisfied within 50 ms; 1 arrived:\n {2}#0 \+\d+ms id=msg_seen type=task\.created verified=false/)
    }))
})
