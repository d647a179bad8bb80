import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/{unit,integration,e2e}/**/*.test.ts"],
    // Hang guards, not performance targets: a loaded two-core machine can take many times
    // longer than an idle one to start PGlite or a scratch Postgres database.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Not `isolate: false`: @effect/vitest's `layer()` assigns its runtime onto the shared `it`,
    // so with a shared module cache one file's layer leaks into the next file's `it.effect`.
    // Vitest's default is one worker fewer than the cores: on two cores that is one. Much of a
    // file's time is waiting (PGlite start-up, module loading), so three workers overlap well.
    maxWorkers: 3,
    minWorkers: 1,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { "src/services/**": { lines: 90 } }
    }
  }
})
