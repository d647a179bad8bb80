import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { UserRepository } from "../../src/repositories/UserRepository.js"
import { aColumn, anApiKey, anEnvelope, aUser, givenProject, givenUser } from "../contract/Fixtures.js"
import { repositoryContract, type RepositoryPorts } from "../contract/RepositoryContract.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../support/Database.js"

const OnPglite = SqlRepositoriesLive.pipe(Layer.provideMerge(PgliteTest))
const OnPostgres = SqlRepositoriesLive.pipe(Layer.provideMerge(PostgresTest))
type SqlIt = Vitest.MethodsNonLive<RepositoryPorts | SqlClient.SqlClient>

// The same adapters' contract on Postgres runs in the slow tier (test/slow/RepositoryContractPostgres.test.ts);
// what only Postgres can get wrong (real concurrency) is below.
repositoryContract("sql on PGlite", OnPglite)

/**
 * What only the SQL adapters can get wrong: driver behaviour the in-memory fakes cannot have.
 * Suites use the top-level `layer`: after one `layer(...)` call, the module-level `it.layer` of
 * @effect/vitest is the *nested* variant, which would silently reuse the first suite's adapters.
 */
const sqlSpecifics = (it: SqlIt, engine: RegExp) => {
  it.effect("runs against the database it names", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ readonly version: string }>`SELECT version() AS version`
      expect(row?.version).toMatch(engine)
    }))

  it.effect("keeps the keys inside an event payload exactly as given", () =>
    Effect.gen(function* () {
      const outbox = yield* OutboxRepository
      // The client's result-name transform would turn these into `oldValue` / `innerKey`.
      const event = anEnvelope({ payload: { old_value: { inner_key: [1, "two", null] }, camelCase: true } })
      yield* outbox.append([event])
      const stored = (yield* outbox.listAll).find((e) => e.id === event.id)
      expect(stored?.payload).toStrictEqual(event.payload)
    }))

  it.effect("answers a taken email with false and leaves the surrounding unit usable", () =>
    Effect.gen(function* () {
      const users = yield* UserRepository
      const { transaction } = yield* Transactor
      const taken = yield* givenUser()
      const later = aUser()
      // Postgres aborts a transaction on a failed statement: a caught 23505 would break `later`.
      const answers = yield* transaction(
        Effect.all([users.insert(aUser({ email: taken.email })), users.insert(later)])
      )
      expect(answers).toStrictEqual([false, true])
    }))

  it.effect("reports a constraint the port has no answer for as a permanent RepositoryError", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeyRepository
      const owner = yield* givenUser()
      const first = anApiKey(owner.id)
      yield* keys.insert(first)
      const clash = anApiKey(owner.id)
      const error = yield* Effect.flip(keys.insert({ ...clash, key: { ...clash.key, prefix: first.key.prefix } }))
      expect(error._tag).toBe("RepositoryError")
      expect(error.transient).toBe(false)
      expect(error.message).toContain("23505")
    }))
}

layer(OnPglite)("SQL adapters on PGlite", (it) => sqlSpecifics(it, /PGlite/))

describe.skipIf(skipPostgres)("Postgres server", () => {
  layer(OnPostgres)("SQL adapters on Postgres", (it) => {
    sqlSpecifics(it, /^PostgreSQL (?!.*PGlite)/)

    it.effect("holds a column lock until the unit ends: crossed locks deadlock, transiently", () =>
      Effect.gen(function* () {
        const columns = yield* ColumnRepository
        const { transaction } = yield* Transactor
        const { project } = yield* givenProject()
        const [a, b] = [aColumn(project.id), aColumn(project.id)]
        yield* columns.insert(a)
        yield* columns.insert(b)
        const [lockedA, lockedB] = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
        const crossed = (first: typeof a, mine: Deferred.Deferred<void>, theirs: Deferred.Deferred<void>, second: typeof a) =>
          transaction(
            Effect.gen(function* () {
              yield* columns.lock(first.id)
              yield* Deferred.succeed(mine, undefined)
              yield* Deferred.await(theirs)
              yield* columns.lock(second.id)
            })
          )
        const one = yield* Effect.fork(crossed(a, lockedA, lockedB, b))
        const two = yield* Effect.fork(crossed(b, lockedB, lockedA, a))
        const outcomes = [yield* Effect.either(Fiber.join(one)), yield* Effect.either(Fiber.join(two))]
        const failures = outcomes.flatMap((outcome) => (outcome._tag === "Left" ? [outcome.left] : []))
        // Postgres breaks the cycle by failing exactly one side with 40P01; the other commits.
        expect(failures).toHaveLength(1)
        expect(failures[0]!.transient).toBe(true)
        expect(failures[0]!.message).toContain("40P01")
      }))
  })
})
