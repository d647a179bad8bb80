import { defineConfig } from "vitest/config"
import base from "../../vitest.config.js"

/**
 * `npm run test:slow`: tests whose size is the point (the issue's 10,000 moves into one gap),
 * too long for `npm test`'s budget. `.ci/run` runs them.
 */
export default defineConfig({ ...base, test: { ...base.test, include: ["test/slow/**/*.test.ts"] } })
