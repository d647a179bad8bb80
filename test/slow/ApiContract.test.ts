import { assert, describe, expect, layer } from "@effect/vitest"
import type { SqlClient } from "@effect/sql"
import { Effect, type Layer } from "effect"
import { PgliteTest } from "../support/Database.js"
import { duplicateIds } from "../support/fuzz/OpenApiDocument.js"
import { runFuzz } from "../support/fuzz/Run.js"
import { sendRaw } from "../support/fuzz/Wire.js"
import { WorldLive } from "../support/fuzz/World.js"

/**
 * The API contract as a property, a bounded run of it (test/support/fuzz/): requests generated
 * from every operation's schemas and broken one part at a time, against the whole app on the
 * SQL adapters. No 5xx; every status and body as the contract and the served OpenAPI document
 * declare them; a refusal changes nothing in the database. The long run is `npm run test:fuzz`.
 *
 * A fresh seed each run (fast-check's report names it; `FUZZ_SEED` replays one). Thirty runs
 * per stack cost about a second of test time each (docs/testing.md).
 */
const RUNS = 30
const seed = process.env["FUZZ_SEED"] === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(process.env["FUZZ_SEED"])

const contractOn = <E>(name: string, database: Layer.Layer<SqlClient.SqlClient, E>) =>
  layer(WorldLive(database), { timeout: 60_000, excludeTestServices: true })(name, (it) => {
    it.effect("answers generated and mutated requests as the contract declares", () =>
      Effect.gen(function* () {
        const { failure, stats } = yield* runFuzz({ numRuns: RUNS, seed })
        if (failure !== undefined) assert.fail(failure)
        expect(stats.requests).toBe(RUNS)
      })
    )

    // Effect writes every `Schema.Unknown` as `{ "$id": "/schemas/unknown" }`; JSON Schema
    // 2020-12 forbids a repeated `$id`, and strict validators (Ajv) refuse the whole document.
    it.effect("serves an OpenAPI document that holds no `$id` twice", () =>
      Effect.gen(function* () {
        const served = yield* sendRaw({ method: "GET", target: "/api/openapi.json", headers: {}, body: undefined })
        expect(duplicateIds(JSON.parse(served.text))).toEqual([])
      })
    )
  })

// One stack here, for the suite's 30 s: PGlite, the worker's database already booted (no scratch
// database to create and migrate). Postgres meets concurrent writes in Races.test.ts; the long
// run (`npm run test:fuzz`, which `.ci/run` runs) takes thousands of requests to both stacks.
describe("the API contract", () => {
  contractOn("on PGlite", PgliteTest)
})
