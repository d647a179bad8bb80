/**
 * The chaos suites spawn `bin/flowboard.mjs`, which runs dist/ when it is fresh and otherwise
 * rebuilds it (or falls back to tsx). Built here once, before any child starts, every child
 * runs the compiled CLI that users run, and none of them races another to rebuild it.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { checkBuild } from "../../bin/Freshness.mjs"

const root = fileURLToPath(new URL("../../", import.meta.url))

export default function setup(): void {
  if (checkBuild(root).state === "fresh") return
  const result = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" })
  if (result.status !== 0) throw new Error(`scripts/build.mjs failed (${result.status ?? result.signal}): the chaos suites need the build`)
  const state = checkBuild(root)
  if (state.state !== "fresh") throw new Error(`dist/ is not fresh after the build: ${state.reason}`)
}
