/**
 * Runs once, before the workers start. On a clean checkout the PGlite template does not exist
 * yet; made here, it is made once instead of by every worker at the same moment.
 */
import { existsSync } from "node:fs"
import { setFlagsFromString } from "node:v8"
import { templateFile } from "./PgliteTemplateFile.js"

export default async function setup(): Promise<void> {
  if (existsSync(templateFile)) return
  // As for the workers (vitest.config.ts): PGlite's WebAssembly compiled once, not re-optimised.
  // This process compiles no other WebAssembly worth optimising.
  setFlagsFromString("--liftoff-only")
  const [{ Effect }, { makeTemplate }] = await Promise.all([import("effect"), import("./Database.js")])
  await Effect.runPromise(Effect.asVoid(makeTemplate))
}
