import { describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { OperationsLive } from "../../layers/Operations.js"
import { TestLive } from "../../layers/Test.js"
import { HealthReport } from "../../src/api/HealthApi.js"
import { EventTransport } from "../../src/events/EventTransport.js"
import { HandlerRegistry } from "../../src/events/HandlerRegistry.js"
import { InProcessTransportLive } from "../../src/events/InProcessTransport.js"
import { PipelineStatusLive } from "../../src/events/PipelineStatusLive.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { anEnvelope } from "../contract/Fixtures.js"
import { redisUrl, skipRedis, uniquePrefix } from "../integration/events/RedisSupport.js"
import { givenDeadLetter } from "../support/DeadLetters.js"
import { parsePrometheus, valueOf } from "../support/Prometheus.js"
import { HttpTestServer } from "../support/TestApi.js"
import { decodeBody, get } from "../e2e/Harness.js"

/** Configuration from the map first, then the environment. */
const configured = (entries: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv())))

const health = Effect.map(get("/health"), (reply) => decodeBody(HealthReport, reply))
const scrape = Effect.map(get("/metrics"), (reply) => {
  expect(reply.status).toBe(200)
  return parsePrometheus(reply.text)
})

/** The app over in-memory repositories, its pipeline status read from an in-process transport the test drives. */
const InProcessPipeline = HttpAppLive.pipe(
  Layer.provide(PipelineStatusLive),
  Layer.provideMerge(InProcessTransportLive),
  Layer.provideMerge(TestLive),
  Layer.provideMerge(HttpTestServer),
  Layer.provide(configured({ ALERT_CONSUMER_LAG: "3", ALERT_DEAD_LETTERS: "1" }))
)

layer(InProcessPipeline)("the pipeline as /health and /metrics report it", (it) => {
  it.effect("each handler's lag and pending entries, and the dead letters, come from the pipeline and cross the thresholds", () =>
    Effect.gen(function* () {
      const transport = yield* EventTransport
      const { handlers } = yield* HandlerRegistry
      const [slow, ...others] = handlers.map((h) => h.name)
      yield* Effect.forEach(handlers, (h) => transport.ensureGroup(h.name))
      yield* transport.publish(Array.from({ length: 4 }, () => ({ envelope: anEnvelope(), priority: "default" as const })))
      // One handler's consumer takes two entries and has not acknowledged them yet.
      const held = yield* transport.read({ group: slow!, consumer: "c1", count: 2, blockMs: 0, claimIdleMs: 60_000 })
      expect(held).toHaveLength(2)
      yield* givenDeadLetter(slow!)

      const report = yield* health
      expect(report.events.transport).toBe("in-process")
      expect(report.events.deadLetters).toBe(1)
      expect(report.events.consumers).toEqual(
        expect.arrayContaining([{ handler: slow, backlog: 2, pending: 2 }, ...others.map((handler) => ({ handler, backlog: 4, pending: 0 }))])
      )
      expect(report.events.consumerLag).toBe(4)
      expect(report.status).toBe("degraded")
      expect(report.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^consumerLag 4 ≥ 3/), expect.stringMatching(/^deadLetters 1 ≥ 1/)]))

      const metrics = yield* scrape
      expect(valueOf(metrics, "flowboard_consumer_lag", { handler: slow! })).toBe(2)
      expect(valueOf(metrics, "flowboard_consumer_pending", { handler: slow! })).toBe(2)
      expect(valueOf(metrics, "flowboard_consumer_pending", { handler: others[0]! })).toBe(0)
      expect(valueOf(metrics, "flowboard_dead_letters", {})).toBe(1)

      yield* transport.ack(slow!, held)
      const after = yield* health
      expect(after.events.consumers.find((c) => c.handler === slow)).toEqual({ handler: slow, backlog: 2, pending: 0 })
    }))
})

/** What `flowboard serve` composes for health: Redis at `url`, production mode not needed. */
const withRedisAt = (url: string) =>
  HttpAppLive.pipe(
    Layer.provide(OperationsLive),
    Layer.provideMerge(TestLive),
    Layer.provideMerge(HttpTestServer),
    Layer.provide(configured({ REDIS_URL: url, REDIS_PREFIX: uniquePrefix("health") }))
  )

// Port 1 on loopback: nothing listens, connections are refused at once.
layer(withRedisAt("redis://127.0.0.1:1"))("with Redis configured and unreachable", (it) => {
  it.effect("/health is degraded (writes still work, events wait in the outbox), naming Redis and the transport as down with their errors; /metrics still answers", () =>
    Effect.gen(function* () {
      const report = yield* health
      expect(report.status).toBe("degraded")
      const redis = report.dependencies.find((d) => d.name === "redis")
      expect(redis).toMatchObject({ status: "down", required: false })
      expect(redis?.lastError).toEqual(expect.any(String))
      expect(report.dependencies.find((d) => d.name === "transport")?.status).toBe("down")
      expect(report.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^redis is down: /)]))
      yield* scrape
    }))
})

describe.skipIf(skipRedis)("with Redis up", () => {
  layer(withRedisAt(redisUrl ?? "redis://127.0.0.1:6379"))((it) => {
    it.effect("/health shows Redis up and the Redis transport with every handler's group", () =>
      Effect.gen(function* () {
        const report = yield* health
        const { handlers } = yield* HandlerRegistry
        expect(report.dependencies.find((d) => d.name === "redis")?.status).toBe("up")
        expect(report.events.transport).toBe("redis")
        expect(report.events.consumers.map((c) => c.handler)).toEqual(handlers.map((h) => h.name))
        expect(report.status).toBe("ok")
      }))
  })
})
