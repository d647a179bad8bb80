/**
 * When `bin/flowboard.mjs` runs dist/: only when every file the build read still has the bytes
 * it had then (bin/Freshness.mjs). Anything else is `stale` (rebuild, or run the sources) or
 * `missing` (never built).
 */
import { describe, expect, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkBuild, hashInputs, MANIFEST } from "../../../bin/Freshness.mjs"

/** A project with two sources and a build made from them. */
const project = () => {
  const root = mkdtempSync(join(tmpdir(), "flowboard-freshness-"))
  mkdirSync(join(root, "src"))
  mkdirSync(join(root, "dist", "abc"), { recursive: true })
  writeFileSync(join(root, "src", "a.ts"), "export const a = 1\n")
  writeFileSync(join(root, "src", "b.ts"), "export const b = 2\n")
  writeFileSync(join(root, "dist", "abc", "flowboard.js"), "")
  const inputs = ["src/a.ts", "src/b.ts"]
  const manifest = { hash: hashInputs(root, inputs), entry: "dist/abc/flowboard.js", inputs }
  writeFileSync(join(root, MANIFEST), JSON.stringify(manifest))
  return root
}

const withProject = (test: (root: string) => void) => () => {
  const root = project()
  try {
    test(root)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

describe("the build's freshness", () => {
  it("is fresh when the sources are as built, and names the entry", withProject((root) => {
    expect(checkBuild(root)).toEqual({ state: "fresh", entry: join(root, "dist/abc/flowboard.js") })
  }))

  it("is stale when a source's bytes changed", withProject((root) => {
    writeFileSync(join(root, "src", "b.ts"), "export const b = 3\n")
    expect(checkBuild(root)).toMatchObject({ state: "stale" })
  }))

  it("is stale when a source it was built from is gone", withProject((root) => {
    rmSync(join(root, "src", "a.ts"))
    expect(checkBuild(root)).toMatchObject({ state: "stale", reason: "a source it was built from is gone" })
  }))

  it("is stale when the built entry is gone", withProject((root) => {
    rmSync(join(root, "dist", "abc"), { recursive: true })
    expect(checkBuild(root)).toMatchObject({ state: "stale" })
  }))

  it("is missing without a manifest, or with one that is not a manifest", withProject((root) => {
    writeFileSync(join(root, MANIFEST), "{ not json")
    expect(checkBuild(root)).toMatchObject({ state: "missing" })
    writeFileSync(join(root, MANIFEST), JSON.stringify({ hash: 1 }))
    expect(checkBuild(root)).toMatchObject({ state: "missing" })
    rmSync(join(root, MANIFEST))
    expect(checkBuild(root)).toMatchObject({ state: "missing" })
  }))

  it("does not depend on the order the inputs are listed in, and tells moved bytes apart", withProject((root) => {
    expect(hashInputs(root, ["src/b.ts", "src/a.ts"])).toEqual(hashInputs(root, ["src/a.ts", "src/b.ts"]))
    // The same bytes under the other name is another tree.
    const before = hashInputs(root, ["src/a.ts", "src/b.ts"])
    writeFileSync(join(root, "src", "a.ts"), "export const b = 2\n")
    writeFileSync(join(root, "src", "b.ts"), "export const a = 1\n")
    expect(hashInputs(root, ["src/a.ts", "src/b.ts"])).not.toEqual(before)
  }))
})
