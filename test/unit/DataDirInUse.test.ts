/**
 * What the CLI says when the embedded data directory is held by another process (a running
 * server), and how it names migrations. The CLI's own output and exit code, spawned, are in
 * test/chaos/Cli.test.ts.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { lockDataDir } from "../../src/repositories/sql/DataDirLock.js"
import { lockedDataDir, migrationName } from "../../src/repositories/sql/Database.js"

describe("the data directory's lock, as the CLI reads it", () => {
  it.scoped("a lock held by another live process gives the directory and the holder's pid", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dataDir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-lock-" })
      // The test runner's parent: alive, and not this process.
      yield* fs.writeFileString(`${dataDir}/flowboard.lock`, String(process.ppid))
      const error = yield* Effect.flip(Effect.scoped(lockDataDir(dataDir)))
      expect(lockedDataDir(error)).toEqual(Option.some({ dataDir, pid: Option.some(process.ppid) }))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it("is not mistaken for other SQL failures", () => {
    expect(lockedDataDir(new SqlError({ message: "Failed to execute statement", cause: new Error("in use by process 7") }))).toEqual(Option.none())
    expect(lockedDataDir(new Error("PgliteClient: cannot lock ./x"))).toEqual(Option.none())
  })

  it("names migrations as their files and the start-up log do", () => {
    expect([migrationName([1, "initial"]), migrationName([12, "jobs"])]).toEqual(["0001_initial", "0012_jobs"])
  })
})
