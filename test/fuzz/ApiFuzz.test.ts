import type { SqlClient } from "@effect/sql"
import { assert, describe, expect, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { PgliteTest, PostgresTest, skipPostgres } from "../support/Database.js"
import { describeClasses, describeStats, runFuzz } from "../support/fuzz/Run.js"
import { WorldLive } from "../support/fuzz/World.js"

/**
 * The long run of the API contract property (the bounded one is in `npm test`:
 * test/integration/ApiContract.test.ts). Settings, from the environment:
 * - `FUZZ_SEED`: set by test/fuzz/vitest.config.ts, fresh unless given;
 * - `FUZZ_RUNS`: requests per stack (default 3000), within `FUZZ_SECONDS` per stack (default 120);
 * - `FUZZ_SURVEY=1`: go on past failures and list every class of violation found, one example
 *   each, instead of stopping at the first and shrinking it.
 * The counts (operations, requests, statuses, mutations) are printed at the end of each stack.
 */
const seed = Number(process.env["FUZZ_SEED"] ?? "0")
const numRuns = Number(process.env["FUZZ_RUNS"] ?? "3000")
const timeLimitMs = Number(process.env["FUZZ_SECONDS"] ?? "120") * 1000
const survey = process.env["FUZZ_SURVEY"] === "1"

const fuzzOn = <E>(name: string, database: Layer.Layer<SqlClient.SqlClient, E>) =>
  layer(WorldLive(database), { timeout: 120_000, excludeTestServices: true })(name, (it) => {
    it.effect(
      "answers generated and mutated requests as the contract declares",
      () =>
        Effect.gen(function* () {
          const { failure, stats } = yield* runFuzz({ numRuns, seed, survey, timeLimitMs })
          console.log(`${name}: ${describeStats(stats, seed)}`)
          if (survey && stats.classes.size > 0) console.log(describeClasses(stats))
          if (failure !== undefined) assert.fail(survey ? `${stats.classes.size} classes of violation (listed above)` : failure)
          expect(stats.requests).toBeGreaterThan(0)
        }),
      timeLimitMs * 3
    )
  })

describe("the API contract, long run", () => {
  fuzzOn("on PGlite", PgliteTest)
})

describe.skipIf(skipPostgres)("the API contract, long run", () => {
  fuzzOn("on Postgres", PostgresTest)
})
