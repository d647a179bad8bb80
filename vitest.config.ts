import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/{unit,integration,e2e}/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Files share a worker's module cache: Effect and the app load once per worker, not per file.
    // Tests isolate themselves through the layers they build, not through module state.
    isolate: false,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { "src/services/**": { lines: 90 } }
    }
  }
})
