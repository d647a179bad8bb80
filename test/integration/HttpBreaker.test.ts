/**
 * Outbound HTTP through per-endpoint breakers, against real local servers: a receiver answering
 * 503 trips its own breaker (calls are then refused without reaching it), a receiver answering
 * 404 is up, and one endpoint's breaker leaves the others alone.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import { makeHttpBreakers } from "../../src/resilience/HttpBreaker.js"

/** A server answering `status` to everything, counting the requests that reached it. */
const receiver = (status: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly url: string; readonly hits: () => number }>((resume) => {
      let hits = 0
      const server = createServer((_request, response) => {
        hits += 1
        response.writeHead(status).end()
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}/hook`, hits: () => hits }))
      })
    }),
    ({ server }) => Effect.async<void>((done) => void server.close(() => done(Effect.void)))
  )

describe("outbound HTTP breakers", () => {
  it.scopedLive("a receiver answering 503 is cut off after the minimum of calls; 404 is up; endpoints are apart", () =>
    Effect.gen(function* () {
      const breakers = yield* makeHttpBreakers({ minimumCalls: 4, failureRateThreshold: 50, waitInOpen: "1 minute" })
      const client = breakers.wrap(yield* HttpClient.HttpClient)
      const down = yield* receiver(503)
      const missing = yield* receiver(404)

      const statuses = yield* Effect.forEach(Array.from({ length: 4 }), () => Effect.map(client.post(down.url), (r) => r.status))
      expect(statuses).toEqual([503, 503, 503, 503])
      const refused = yield* Effect.flip(client.post(down.url))
      expect(refused._tag).toBe("CircuitOpenError")
      expect(down.hits()).toBe(4)

      const answers = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.map(client.post(missing.url), (r) => r.status))
      expect(answers.every((status) => status === 404)).toBe(true)
      expect(missing.hits()).toBe(6)
      expect(yield* breakers.snapshot).toEqual({ closed: 1, "half-open": 0, open: 1 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
