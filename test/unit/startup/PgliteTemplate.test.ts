/**
 * Seeding an empty embedded data directory from the migrated template (PgliteTemplate.ts), with
 * a stand-in for "open PGlite and migrate" that writes a recognisable file: the copying rules,
 * not Postgres, are under test here (the real template is made by every embedded first start,
 * e.g. in test/chaos).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedFromTemplate } from "../../../src/repositories/sql/PgliteTemplate.js"

const scratch = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "flowboard-template-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A data directory as PgliteClient hands it over: created and locked, nothing else. */
const lockedEmpty = (dir: string) => {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "flowboard.lock"), String(process.pid))
  return dir
}

const fakeMigrate = (made: Ref.Ref<number>) => (dataDir: string) =>
  Effect.gen(function* () {
    yield* Ref.update(made, (n) => n + 1)
    writeFileSync(join(dataDir, "PG_VERSION"), "17\n")
    mkdirSync(join(dataDir, "base"))
    writeFileSync(join(dataDir, "base", "tables"), "migrated")
    // Our lock, as the client holding the template's directory leaves it while open.
    writeFileSync(join(dataDir, "flowboard.lock"), String(process.pid))
  })

describe("seeding an embedded data directory from the template", () => {
  it.scoped("makes the template once and copies it into each empty data directory, without the lock", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const made = yield* Ref.make(0)
      const seed = seedFromTemplate({ cacheDir: join(dir, "cache"), key: "k1", make: fakeMigrate(made) })
      for (const name of ["one", "two"]) {
        const dataDir = lockedEmpty(join(dir, name))
        yield* seed(dataDir)
        expect(readFileSync(join(dataDir, "base", "tables"), "utf8")).toBe("migrated")
        expect(readFileSync(join(dataDir, "flowboard.lock"), "utf8")).toBe(String(process.pid))
      }
      expect(yield* Ref.get(made)).toBe(1)
      expect(readdirSync(join(dir, "cache"))).toEqual(["pglite-datadir-k1"])
      expect(existsSync(join(dir, "cache", "pglite-datadir-k1", "flowboard.lock"))).toBe(true)
    }))

  it.scoped("leaves a data directory that holds anything but the lock as it is", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const made = yield* Ref.make(0)
      const dataDir = lockedEmpty(join(dir, "data"))
      writeFileSync(join(dataDir, "PG_VERSION"), "16\n")
      yield* seedFromTemplate({ cacheDir: join(dir, "cache"), key: "k1", make: fakeMigrate(made) })(dataDir)
      expect(readdirSync(dataDir).sort()).toEqual(["PG_VERSION", "flowboard.lock"])
      expect(yield* Ref.get(made)).toBe(0)
    }))

  it.scoped("a new key makes a new template", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const made = yield* Ref.make(0)
      for (const key of ["k1", "k2"]) {
        yield* seedFromTemplate({ cacheDir: join(dir, "cache"), key, make: fakeMigrate(made) })(lockedEmpty(join(dir, key)))
      }
      expect(yield* Ref.get(made)).toBe(2)
      expect(readdirSync(join(dir, "cache")).sort()).toEqual(["pglite-datadir-k1", "pglite-datadir-k2"])
    }))

  it.scoped("when the template cannot be made, the data directory stays empty for PGlite to initialise, and no half template is kept", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const dataDir = lockedEmpty(join(dir, "data"))
      yield* seedFromTemplate({
        cacheDir: join(dir, "cache"),
        key: "k1",
        make: (staging) => Effect.sync(() => writeFileSync(join(staging, "PG_VERSION"), "17\n")).pipe(Effect.zipRight(Effect.fail("initdb failed")))
      })(dataDir)
      expect(readdirSync(dataDir)).toEqual(["flowboard.lock"])
      expect(readdirSync(join(dir, "cache"))).toEqual([])
    }))
})
