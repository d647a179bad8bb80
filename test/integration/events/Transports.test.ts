import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, Redacted } from "effect"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import * as Redis from "../../../src/events/Redis.js"
import { redisCommandDuration, redisCommandErrors } from "../../../src/events/Redis.js"
import * as CircuitBreaker from "../../../src/resilience/CircuitBreaker.js"
import { isRedisUnreachable, RedisBreaker } from "../../../src/resilience/Breakers.js"
import * as RedisStreamsTransport from "../../../src/events/RedisStreamsTransport.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { deleteKeys, makeRedisTest, skipRedis } from "./RedisSupport.js"
import { transportContract } from "./TransportContract.js"

describe("InProcessTransport", () => {
  transportContract(Effect.map(InProcessTransport.make(), (transport) => ({ transport })), { canForget: false })
})

describe.skipIf(skipRedis)("RedisStreamsTransport", () => {
  transportContract(
    Effect.gen(function* () {
      const redis = yield* makeRedisTest("transport")
      const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
      return { transport, forget: Effect.asVoid(deleteKeys(redis.cleaner, redis.prefix)) }
    }),
    { canForget: true }
  )
})

describe.skipIf(skipRedis)("RedisStreamsTransport, Redis specifics", () => {
  it.scopedLive("an entry that is not an envelope is moved aside and acknowledged, not delivered", () =>
    Effect.gen(function* () {
      const redis = yield* makeRedisTest("undecodable")
      const t = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
      yield* t.ensureGroup("g")
      const good = anEnvelope()
      yield* Effect.promise(() => redis.commands.xadd(`${redis.prefix}events:default`, "*", "envelope", "{oops"))
      yield* t.publish([{ envelope: good, priority: "default" }])
      const got = yield* t.read({ group: "g", consumer: "c", count: 10, blockMs: 0, claimIdleMs: 1_000 })
      expect(got.map((d) => d.envelope.id)).toEqual([good.id])
      expect(yield* t.lag("g")).toEqual({ pending: 1, backlog: 0 })
      const aside = yield* Effect.promise(() => redis.commands.xrange(`${redis.prefix}events:undecodable`, "-", "+"))
      expect(aside.map(([, fields]) => fields.slice(4, 6))).toEqual([["group", "g"]])
    }))

  it.scopedLive("dead consumers leave the group once their entries were claimed; one holding entries, or this one, stays", () =>
    Effect.gen(function* () {
      const redis = yield* makeRedisTest("prune")
      const t = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
      yield* t.ensureGroup("g")
      const read = (consumer: string, claimIdleMs = 60_000) => t.read({ group: "g", consumer, count: 1, blockMs: 0, claimIdleMs })
      yield* t.publish([anEnvelope(), anEnvelope()].map((envelope) => ({ envelope, priority: "default" as const })))
      const died = yield* read("dead") // took one, then its process died
      yield* read("holder") // took the other and is still on it
      yield* Effect.sleep("60 millis")
      // "live" takes over what "dead" left (idle past 50 ms) and acknowledges it.
      const claimed = yield* read("live", 50)
      expect(claimed.map((d) => d.envelope.id)).toEqual(died.map((d) => d.envelope.id))
      yield* t.ack("g", claimed)

      expect(yield* t.pruneConsumers("g", "live", 50)).toBe(1)
      const infos: unknown = yield* Effect.promise(() => redis.commands.xinfo("CONSUMERS", `${redis.prefix}events:default`, "g"))
      const names = Array.isArray(infos) ? infos.map((fields: unknown) => (Array.isArray(fields) ? fields[fields.indexOf("name") + 1] : undefined)) : []
      expect([...names].sort()).toEqual(["holder", "live"])
      // A group that does not exist (yet) is not an error.
      expect(yield* t.pruneConsumers("nobody", "live", 0)).toBe(0)
    }))

  it.scopedLive("with the redis breaker installed: an unreachable Redis opens it and commands are refused untried; error replies never count", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ name: "redis", minimumCalls: 4, failureRateThreshold: 50, waitInOpen: "1 minute", isFailure: isRedisUnreachable })
      // Nothing listens on port 1: every command is refused.
      const away = yield* Redis.make({ url: Redacted.make("redis://127.0.0.1:1"), prefix: "fbtest:away:", commandTimeoutMs: 200, maxReconnectDelayMs: 50 })
      const t = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, away))
      const attempts = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.flip(t.trim).pipe(Effect.provideService(RedisBreaker, breaker)))
      expect(yield* breaker.state).toBe("open")
      expect(attempts.at(-1)?.message).toContain("circuit redis is open")

      // Redis answering with an error (a group that does not exist) is Redis up.
      const healthy = yield* CircuitBreaker.make({ name: "redis-replies", minimumCalls: 2, isFailure: isRedisUnreachable })
      const redis = yield* makeRedisTest("breaker")
      const replies = yield* Effect.forEach(Array.from({ length: 5 }), () =>
        Effect.flip(healthy.protect(Effect.tryPromise(() => redis.commands.xgroup("CREATE", `${redis.prefix}nothing`, "g", "0")))))
      expect(replies).toHaveLength(5)
      expect(yield* healthy.state).toBe("closed")
    }))

  it.scopedLive("every command is timed by name, and failed commands are counted by name", () =>
    Effect.gen(function* () {
      const timed = (command: string) => Effect.map(Metric.value(Metric.tagged(redisCommandDuration, "command", command)), (h) => h.count)
      const failed = (command: string) => Effect.map(Metric.value(Metric.tagged(redisCommandErrors, "command", command)), (c) => c.count)
      const before = { xadd: yield* timed("XADD"), info: yield* timed("XINFO GROUPS"), errors: yield* failed("XINFO GROUPS") }

      const redis = yield* makeRedisTest("metered")
      const t = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, redis))
      // Before any stream exists XINFO answers `no such key`: an answer (no lag), not a failure.
      expect(yield* t.lag("g")).toEqual({ pending: 0, backlog: 0 })
      expect(yield* failed("XINFO GROUPS")).toBe(before.errors)
      yield* t.ensureGroup("g")
      yield* t.publish([{ envelope: anEnvelope(), priority: "default" }])
      expect(yield* t.lag("g")).toEqual({ pending: 0, backlog: 1 })
      // Nothing listens on port 1: the command fails once the first connection attempt is refused.
      const away = yield* makeRedisTest("metered-away", { url: "redis://127.0.0.1:1", commandTimeoutMs: 1_000 })
      const unreachable = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis.Redis, away))
      yield* Effect.flip(unreachable.lag("g"))

      const after = { xadd: yield* timed("XADD"), info: yield* timed("XINFO GROUPS"), errors: yield* failed("XINFO GROUPS") }
      expect(after.xadd).toBe(before.xadd + 1)
      // Three priority streams, twice, for the reachable transport; the unreachable one fails on
      // the first refused stream (the other two may be cut short before they answer).
      expect(after.info - before.info).toBeGreaterThanOrEqual(7)
      expect(after.errors - before.errors).toBe(after.info - before.info - 6)
    }))
})
