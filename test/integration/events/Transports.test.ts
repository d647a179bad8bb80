import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as InProcessTransport from "../../../src/events/InProcessTransport.js"
import { Redis } from "../../../src/events/Redis.js"
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
      const transport = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis, redis))
      return { transport, forget: Effect.asVoid(deleteKeys(redis.cleaner, redis.prefix)) }
    }),
    { canForget: true }
  )
})

describe.skipIf(skipRedis)("RedisStreamsTransport, Redis specifics", () => {
  it.scopedLive("an entry that is not an envelope is moved aside and acknowledged, not delivered", () =>
    Effect.gen(function* () {
      const redis = yield* makeRedisTest("undecodable")
      const t = yield* RedisStreamsTransport.make().pipe(Effect.provideService(Redis, redis))
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
})
