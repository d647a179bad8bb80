/**
 * The CLI as a user runs it, spawned: what `flowboard users create` says when a running server
 * holds the embedded data directory, and how `flowboard migrate` names what it applied.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { makeScratchDatabase, skipPostgres } from "../support/Database.js"
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

  it.scopedLive("secrets from files: a setting read from NAME_FILE works; both given, or an unreadable file, stops at once with every problem named", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-secrets-" })
      yield* fs.writeFileString(`${dir}/token`, "metrics-secret\n")
      const refused = yield* spawnFlowboard(["migrate"], {
        FLOWBOARD_DATA_DIR: "memory://",
        DATABASE_URL: "postgres://127.0.0.1:1/none",
        DATABASE_URL_FILE: `${dir}/token`,
        REDIS_URL_FILE: `${dir}/missing`
      })
      expect((yield* refused.exited).code).toBe(78)
      expect(refused.stderr().trim().split("\n")).toEqual([
        "flowboard: the configuration cannot be used:",
        "  - DATABASE_URL and DATABASE_URL_FILE are both set: give one",
        `  - REDIS_URL_FILE: cannot read ${dir}/missing (ENOENT)`
      ])
      if (skipPostgres) return
      // The database's URL only in a file: migrate reaches that Postgres (not the embedded database).
      const url = Redacted.value(yield* makeScratchDatabase)
      yield* fs.writeFileString(`${dir}/database-url`, `${url}\n`)
      const migrated = yield* spawnFlowboard(["migrate"], { LOG_LEVEL: "warn", DATABASE_URL_FILE: `${dir}/database-url` })
      expect((yield* migrated.exited).code).toBe(0)
      expect(migrated.stdout()).toMatch(/^Applied: 0001_initial, 0002_\w+/m)
      const sql = yield* PgClient.make({ url: Redacted.make(url) })
      const [tables] = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'webhook_deliveries'`
      expect(tables?.n).toBe(1)
    }).pipe(Effect.provide(NodeFileSystem.layer), Effect.provide(Reactivity.layer)), { timeout: 60_000 })

  it.scopedLive("migrate names the migrations as the start-up log does", () =>
    Effect.gen(function* () {
      const child = yield* spawnFlowboard(["migrate"], { FLOWBOARD_DATA_DIR: "memory://", LOG_LEVEL: "warn" })
      expect((yield* child.exited).code).toBe(0)
      expect(child.stdout()).toMatch(/^Applied: 0001_initial, 0002_\w+/m)
    }), { timeout: 60_000 })
})
