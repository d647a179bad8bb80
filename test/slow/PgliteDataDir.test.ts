import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { MigrationsLive, NameTransforms, PgliteClientLive, runMigrations } from "../../src/repositories/sql/Database.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"
import { pgliteTemplate } from "../support/Database.js"
import { emails, insertUser, user } from "../support/UserRows.js"


/** The embedded database's directory on real disk: two boots, a second or more each, so in the slow tier. */
describe("PgliteClient", () => {
  describe("data directory", () => {
    // Real files on disk. The directory starts from the migrated template rather than from
    // initdb (seconds of CPU, which `npm start` pays once): what is tested here is what survives
    // a restart and who may open the directory. Two boots, because each costs a second or more.
    const onDiskTimeout = 60_000
    const reopened = (dataDir: string) =>
      MigrationsLive.pipe(
        Layer.provideMerge(PgliteClientLive),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["FLOWBOARD_DATA_DIR", dataDir]]))))
      )

    // PGlite itself would let a second client open the directory and silently lose one side's writes.
    it.scoped("keeps its data across a restart, refuses a second client while open, takes over a dead owner's lock", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dataDir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-pglite-" })
        const loadDataDir = yield* pgliteTemplate
        yield* Effect.scoped(
          Effect.gen(function*() {
            const first = yield* Layer.build(PgliteClient.layer({ dataDir, loadDataDir, ...NameTransforms }))
            yield* insertUser(user("durable@example.com")).pipe(Effect.provide(first))
            const second = yield* Effect.flip(Effect.scoped(Layer.build(PgliteClient.layer({ dataDir, ...NameTransforms }))))
            expect(second.message).toContain("cannot lock")
          })
        )
        // A crashed owner leaves its lock behind. Above Linux's pid_max, so never a live process.
        yield* fs.writeFileString(`${dataDir}/flowboard.lock`, "2147483646")
        const [rows, pending] = yield* Effect.all([emails, runMigrations]).pipe(Effect.provide(reopened(dataDir)))
        expect(rows).toEqual([{ email: "durable@example.com" }])
        expect(pending).toEqual([])
      }).pipe(Effect.provide(NodeFileSystem.layer)), onDiskTimeout)
  })
})
