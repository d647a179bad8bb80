import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Option, Random } from "effect"
import { Webhook } from "standardwebhooks"
import { backoff, delayOfRetry, webhookRetry } from "../../../src/resilience/RetrySchedules.js"
import { newSecret, signature, signatureHeader } from "../../../src/webhooks/Signature.js"
import { judgeStatus, retryAfterOf, statusClass } from "../../../src/webhooks/Verdict.js"

describe("webhook signatures", () => {
  it("verify with the Standard Webhooks reference library, for either secret of a rotation", () => {
    const [old, fresh] = [newSecret(), newSecret()]
    const id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify({ type: "task.created.v1", timestamp: new Date().toISOString(), data: { title: "ünïcode ✓" } })
    const headers = { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatureHeader([fresh, old], id, timestamp, body) }
    for (const secret of [old, fresh]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow()
    // One byte of the body changed: no secret verifies.
    expect(() => new Webhook(fresh).verify(body.replace("✓", "x"), headers)).toThrow()
    expect(signature(fresh, id, timestamp, body)).toBe(new Webhook(fresh).sign(id, new Date(timestamp * 1000), body))
  })
})

describe("what an answer means", () => {
  it("2xx delivers, 410 disables, 3xx is a failure (redirects are not followed), Retry-After counts on 429 and 503 only", () => {
    const now = Date.parse("2026-12-06T10:00:00Z")
    expect(judgeStatus(204, undefined, now)._tag).toBe("Delivered")
    expect(judgeStatus(410, undefined, now)._tag).toBe("Gone")
    expect(judgeStatus(302, undefined, now)).toMatchObject({ _tag: "Failed", error: "the receiver answered 302 (redirects are not followed)" })
    expect(judgeStatus(429, "7", now)).toMatchObject({ _tag: "Failed", retryAfter: Option.some(Duration.seconds(7)) })
    expect(judgeStatus(503, "Sun, 06 Dec 2026 10:01:00 GMT", now)).toMatchObject({ retryAfter: Option.some(Duration.seconds(60)) })
    expect(judgeStatus(500, "7", now)).toMatchObject({ retryAfter: Option.none() })
    expect(retryAfterOf("yesterday", now)).toEqual(Option.none())
    expect(retryAfterOf("Sat, 05 Dec 2026 10:00:00 GMT", now)).toEqual(Option.none())
    expect([200, 301, 404, 503, null].map(statusClass)).toEqual(["2xx", "3xx", "4xx", "5xx", "none"])
  })
})

describe("the webhook retry schedule", () => {
  it.effect("waits 10 s, tripling, capped at 4 h, for 11 retries: 10 to 21 hours of trying; then gives up", () =>
    Effect.gen(function* () {
      const schedule = backoff(webhookRetry)
      const delays = yield* Effect.forEach(Chunk.range(0, 11), (retry) => delayOfRetry(schedule, retry))
      const millis = delays.map((delay) => Option.map(delay, Duration.toMillis))
      expect(Option.isNone(millis[11]!)).toBe(true)
      const nominal = [10, 30, 90, 270, 810, 2430, 7290, 14400, 14400, 14400, 14400].map((s) => s * 1000)
      millis.slice(0, 11).forEach((delay, i) => {
        const ms = Option.getOrThrow(delay)
        // Equal jitter: between half and all of the nominal delay.
        expect(ms).toBeGreaterThanOrEqual(nominal[i]! / 2)
        expect(ms).toBeLessThanOrEqual(nominal[i]!)
      })
      const total = millis.slice(0, 11).reduce((sum, d) => sum + Option.getOrThrow(d), 0) / 3_600_000
      expect(total).toBeGreaterThan(10)
      expect(total).toBeLessThan(21.5)
    }).pipe(Effect.withRandom(Random.make("webhooks"))))

})
