#!/usr/bin/env node
// The `flowboard` command. It runs the compiled CLI (dist/, made by scripts/build.mjs) when that
// was built from the sources in this tree; rebuilds it first when the sources changed and
// esbuild is installed; and otherwise runs the TypeScript sources through tsx, as before there
// was a build. FLOWBOARD_FROM_SOURCE=1 always runs the sources.
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { checkBuild, readManifest } from "./Freshness.mjs"

const root = fileURLToPath(new URL("../", import.meta.url))

// Where the embedded database keeps its migrated template (src/repositories/sql/PgliteTemplate.ts).
if (process.env.FLOWBOARD_CACHE_DIR === undefined && existsSync(join(root, "node_modules"))) {
  process.env.FLOWBOARD_CACHE_DIR = join(root, "node_modules", ".cache", "flowboard")
}

const note = (line) => process.stderr.write(`flowboard: ${line}\n`)

/** The compiled entry to run, or `undefined` for the sources. */
const compiled = async () => {
  if (process.env.FLOWBOARD_FROM_SOURCE === "1") return undefined
  // A container image ships dist/ without the sources it was built from: run it as built, and
  // never fall back to a TypeScript loader.
  if (process.env.FLOWBOARD_COMPILED_ONLY === "1") {
    const manifest = readManifest(root)
    if (manifest === undefined || !existsSync(join(root, manifest.entry))) {
      note("FLOWBOARD_COMPILED_ONLY=1 but dist/ holds no build: build the image with `npm run build`")
      process.exit(70)
    }
    return join(root, manifest.entry)
  }
  const build = checkBuild(root)
  if (build.state === "fresh") return build.entry
  let builder
  try {
    builder = await import("../scripts/build.mjs")
    await import("esbuild")
  } catch {
    // No esbuild (installed without dev dependencies) or no build script (a packed install).
    if (build.state === "stale") note(`dist/ is out of date (${build.reason}) and cannot be rebuilt here; running the sources through tsx`)
    return undefined
  }
  note(`${build.state === "missing" ? "no build yet" : `rebuilding (${build.reason})`}…`)
  try {
    await builder.build({ log: (line) => process.stderr.write(`${line}\n`) })
  } catch (error) {
    note(`the build failed (${error instanceof Error ? error.message : String(error)}); running the sources through tsx`)
    return undefined
  }
  const rebuilt = checkBuild(root)
  return rebuilt.state === "fresh" ? rebuilt.entry : undefined
}

const entry = await compiled()
if (entry !== undefined) {
  await import(pathToFileURL(entry).href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/bin/flowboard.ts")
}
