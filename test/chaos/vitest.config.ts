import { defineConfig } from "vitest/config"
import base from "../../vitest.config.js"

/**
 * `npm run test:chaos`: fault-injection suites against real Postgres and Redis. Kept out of
 * `npm test` because each needs a scratch database and waits out reconnects (seconds, not ms).
 * The spawned CLI is the compiled one: BuildOnce.ts builds dist/ first when it is not fresh.
 * One file at a time: each spawns processes and times reconnects and claims, and two such files
 * side by side on two cores made the other's timings fail (a write probe timing out while Redis
 * restarted, a claim that never went idle) once the webhook worker-kill suite joined them.
 */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/chaos/**/*.test.ts"], globalSetup: [...[base.test?.globalSetup ?? []].flat(), "test/chaos/BuildOnce.ts"], fileParallelism: false, maxWorkers: 1, minWorkers: 1 }
})
