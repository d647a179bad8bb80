/**
 * The CLI as a user runs it, spawned: what `flowboard users create` says when a running server
 * holds the embedded data directory, and how `flowboard migrate` names what it applied.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnFlowboard } from "./Processes.js"

describe("the flowboard CLI", () => {
  it.scopedLive("users create on a data directory a running server holds: one plain sentence on stderr, exit code 1", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dataDir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-cli-" })
      // This test process stands in for the running server: alive, and not the child.
      yield* fs.writeFileString(`${dataDir}/flowboard.lock`, String(process.pid))
      const child = yield* spawnFlowboard(["users", "create", "--email", "ann@example.com", "--name", "Ann"], { FLOWBOARD_DATA_DIR: dataDir })
      const exited = yield* child.exited
      expect(exited.code).toBe(1)
      expect(child.stderr().trim().split("\n")).toEqual([
        `The data directory ${dataDir} is in use by process ${process.pid} (a running Flowboard): stop it first, or create the user through its HTTP API (POST /api/v1/users, then POST /api/v1/users/{userId}/keys).`
      ])
      expect(child.stdout()).not.toMatch(/\bat .+\.(ts|js):\d+|SqlError|"level":"error"/)
    }).pipe(Effect.provide(NodeFileSystem.layer)), { timeout: 60_000 })

  it.scopedLive("migrate names the migrations as the start-up log does", () =>
    Effect.gen(function* () {
      const child = yield* spawnFlowboard(["migrate"], { FLOWBOARD_DATA_DIR: "memory://", LOG_LEVEL: "warn" })
      expect((yield* child.exited).code).toBe(0)
      expect(child.stdout()).toMatch(/^Applied: 0001_initial, 0002_\w+/m)
    }), { timeout: 60_000 })
})
