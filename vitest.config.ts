import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

const workers = Math.min(4, Math.max(2, availableParallelism()))

export default defineConfig({
  test: {
    include: ["test/{unit,integration,e2e}/**/*.test.ts"],
    // Hang guards, not performance targets: a loaded two-core machine can take many times
    // longer than an idle one to start PGlite or a scratch Postgres database.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One module cache per worker: loading Effect and the whole of src/ costs seconds per file,
    // which with per-file isolation was most of the suite's time. @effect/vitest's `layer()`
    // installs its runtime on the shared `it`; the setup file puts the defaults back per file.
    isolate: false,
    // PGlite is WebAssembly. V8 first compiles it quickly (Liftoff), then again optimised in the
    // background (TurboFan), which costs more CPU than a test run's short life ever gets back.
    // The garbage collector works on the worker's own thread: with two workers and the database
    // on two cores, its helper threads only competed for them (docs/testing.md).
    poolOptions: { forks: { execArgv: ["--liftoff-only", "--single-threaded-gc"] } },
    setupFiles: ["test/support/ResetEffectVitest.ts"],
    globalSetup: ["test/support/GlobalSetup.ts"],
    // One worker per core (at least two, at most four: each loads all of src/ and boots its own
    // PGlite). Vitest's default is one fewer than the cores. The minimum equals the maximum: with
    // a shared module cache, tinypool otherwise retires an idle worker that still holds files
    // ("Terminating worker thread") and the run fails.
    maxWorkers: workers,
    minWorkers: workers,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { "src/services/**": { lines: 90 } }
    }
  }
})
