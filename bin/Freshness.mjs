// Whether `dist/` was built from the sources in the working tree. Plain JavaScript: the
// launcher (`bin/flowboard.mjs`) runs it before any TypeScript loader exists. Types in
// Freshness.d.mts; the rule is pinned by test/unit/startup/Freshness.test.ts.
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"

/** The build's record, relative to the project root. */
export const MANIFEST = "dist/manifest.json"

/**
 * One digest over the files a build was made from: each path (relative, `/`-separated, sorted)
 * and its bytes. `undefined` when one of them is missing (a deleted source is a change too).
 */
export const hashInputs = (root, inputs) => {
  const digest = createHash("sha256")
  for (const path of [...inputs].sort()) {
    let bytes
    try {
      bytes = readFileSync(join(root, path))
    } catch {
      return undefined
    }
    digest.update(path).update("\0").update(String(bytes.length)).update("\0").update(bytes)
  }
  return digest.digest("hex")
}

const isManifest = (value) =>
  typeof value === "object" && value !== null &&
  typeof value.hash === "string" && typeof value.entry === "string" &&
  Array.isArray(value.inputs) && value.inputs.every((input) => typeof input === "string")

/** The manifest, or `undefined` when there is none or it is not one. */
export const readManifest = (root) => {
  try {
    const value = JSON.parse(readFileSync(join(root, MANIFEST), "utf8"))
    return isManifest(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * `fresh` (with the entry's absolute path) when the manifest's inputs hash as they did at build
 * time and its entry exists; `stale` when something changed; `missing` when nothing was built.
 */
export const checkBuild = (root) => {
  const manifest = readManifest(root)
  if (manifest === undefined) return { state: "missing", reason: `no ${MANIFEST}` }
  const entry = join(root, manifest.entry)
  if (!existsSync(entry)) return { state: "stale", reason: `${manifest.entry} is missing` }
  const hash = hashInputs(root, manifest.inputs)
  if (hash === undefined) return { state: "stale", reason: "a source it was built from is gone" }
  if (hash !== manifest.hash) return { state: "stale", reason: "the sources changed since it was built" }
  return { state: "fresh", entry }
}
