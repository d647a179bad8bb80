/**
 * Until one typed description of every setting exists (issue 14), the README's configuration
 * table is the list operators read: every setting the code reads must be in it. The settings are
 * found where they are read, as `Config.<kind>("NAME")` (and the `${prefix}_BREAKER_*` family).
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

const read = [...sources("src"), ...sources("layers")].flatMap((path) =>
  [...readFileSync(join(root, path), "utf8").matchAll(/Config\.[a-zA-Z]+\(\s*["'`]([A-Z][A-Z0-9_]+)["'`]/g)].map((m) => ({ name: m[1]!, path }))
)

const documented = (() => {
  const names = new Set<string>()
  const families: Array<string> = []
  const readme = readFileSync(join(root, "README.md"), "utf8")
  for (const row of readme.matchAll(/^\| ((?:`[A-Z0-9_*]+`(?: \/ |, )?)+) \|/gm)) {
    for (const [, name] of row[1]!.matchAll(/`([A-Z0-9_*]+)`/g)) {
      if (name!.endsWith("*")) families.push(name!.slice(0, -1))
      else names.add(name!)
    }
  }
  return { has: (name: string) => names.has(name) || families.some((prefix) => name.startsWith(prefix)) }
})()

/** Node's own, not Flowboard's to document. */
const platform = new Set(["NODE_ENV"])

describe("the README's configuration table", () => {
  it("names every setting the code reads", () => {
    expect(read.length).toBeGreaterThan(80)
    expect(read.filter(({ name }) => !platform.has(name) && !documented.has(name)).map(({ name, path }) => `${name} (${path})`)).toEqual([])
    // The breaker families are read through a prefix: each prefix is documented as a family.
    for (const prefix of ["DATABASE", "REDIS", "WEBHOOK"]) expect(documented.has(`${prefix}_BREAKER_OPEN_FOR`), prefix).toBe(true)
  })
})
