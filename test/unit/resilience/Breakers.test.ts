import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, FiberRef, Layer } from "effect"
import { RepositoryError } from "../../../src/domain/Errors.js"
import { BreakersLive, CircuitBreakers, DatabaseBreaker, guardDatabase, guardStatement, InUnitOfWork, RedisBreaker } from "../../../src/resilience/Breakers.js"

const withSettings = (settings: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))))
const unreachable = Effect.fail(new RepositoryError({ message: "connect ECONNREFUSED", transient: true }))

describe("the installed breakers", () => {
  it.effect("postgres always, redis with it when asked; each from its own settings", () =>
    Effect.gen(function* () {
      const names = yield* Effect.map(CircuitBreakers, (all) => all.map((b) => b.name)).pipe(
        Effect.provide(BreakersLive(true).pipe(Layer.provide(withSettings({ REDIS_BREAKER_MINIMUM_CALLS: "2" }))))
      )
      expect(names).toEqual(["postgres", "redis"])
      const alone = yield* Effect.map(CircuitBreakers, (all) => all.map((b) => b.name)).pipe(Effect.provide(BreakersLive(false)))
      expect(alone).toEqual(["postgres"])
      const refused = yield* Effect.exit(Layer.build(BreakersLive(false).pipe(Layer.provide(withSettings({ DATABASE_BREAKER_FAILURE_RATE: "0" })))).pipe(Effect.scoped))
      expect(Exit.isFailure(refused) && String(refused.cause)).toContain("DATABASE_BREAKER_*")
    }))

  it.effect("statements inside a unit of work are judged with the unit, not alone; an open breaker is a transient RepositoryError", () =>
    Effect.gen(function* () {
      const breaker = yield* DatabaseBreaker
      if (breaker === null) return yield* Effect.dieMessage("no breaker installed")
      // Inside a unit: not counted, however many fail.
      yield* Effect.forEach(Array.from({ length: 20 }), () => Effect.either(guardStatement(unreachable)), { discard: true }).pipe(Effect.locally(InUnitOfWork, true))
      expect(yield* breaker.state).toBe("closed")
      expect(yield* FiberRef.get(InUnitOfWork)).toBe(false)
      // Alone: counted, and the breaker opens at the minimum of 10 calls.
      yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.either(guardStatement(unreachable)), { discard: true })
      expect(yield* breaker.state).toBe("open")
      let tried = false
      const refused = yield* Effect.flip(guardDatabase(Effect.sync(() => (tried = true))))
      expect(tried).toBe(false)
      expect(refused).toMatchObject({ _tag: "RepositoryError", transient: true })
      expect(refused.message).toContain("circuit postgres is open")
      expect(yield* RedisBreaker).toBeNull()
    }).pipe(Effect.provide(BreakersLive(false))))
})
