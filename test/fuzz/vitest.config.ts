import { defineConfig } from "vitest/config"
import base from "../../vitest.config.js"

/**
 * `npm run test:fuzz`: the long run of the API contract property (test/fuzz/ApiFuzz.test.ts).
 * The seed is `FUZZ_SEED`, or a fresh one, printed first so that a failure can be replayed
 * (`FUZZ_SEED=<seed> npm run test:fuzz`).
 */
const seed = process.env["FUZZ_SEED"] ?? String(Math.floor(Math.random() * 2 ** 31))
console.log(`fuzz seed: ${seed} (replay with FUZZ_SEED=${seed})`)

export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/fuzz/**/*.test.ts"], env: { FUZZ_SEED: seed } }
})
