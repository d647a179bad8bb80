import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Stream } from "effect"
import { join } from "node:path"
import { AttachmentId, newId, ProjectId, TaskId } from "../../src/domain/Ids.js"
import { AttachmentStorage } from "../../src/repositories/AttachmentStorage.js"
import { AttachmentStorageLive } from "../../src/repositories/AttachmentStorageLive.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { CHUNK_BYTES } from "../../src/repositories/sql/SqlAttachmentStorage.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { aTaskRow, attachmentStorageContract } from "../contract/AttachmentStorageContract.js"
import { PgliteTest } from "../support/Database.js"

/** `ATTACHMENT_STORAGE` unset: the bytes go to the database the repositories use. */
const OnPglite = SqlRepositoriesLive.pipe(Layer.provideMerge(PgliteTest))


// The same contract on Postgres runs in the slow tier (test/slow/RepositoryContractPostgres.test.ts).
attachmentStorageContract("in the database, on PGlite", OnPglite, aTaskRow)

// The suite's own `layer`: after the contract's, the module-level `it` runs in the last layer built.
layer(NodeFileSystem.layer)("ATTACHMENT_STORAGE", (it) => {
  const storageWith = (settings: ReadonlyArray<readonly [string, string]>) =>
    AttachmentStorage.pipe(
      Effect.provide(AttachmentStorageLive.pipe(Layer.provide(PgliteTest))),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(settings)))
    )

  it.effect("is the database unless set, a directory when set to filesystem, and refused when it is neither", () =>
    Effect.gen(function* () {
      expect((yield* storageWith([])).kind).toBe("database")
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-attachments-" })
      const files = yield* storageWith([["ATTACHMENT_STORAGE", "filesystem"], ["ATTACHMENT_DIR", dir]])
      expect(files.kind).toBe("filesystem")
      const key = { projectId: newId(ProjectId), taskId: newId(TaskId), attachmentId: newId(AttachmentId) }
      yield* files.put(key, Stream.make(new Uint8Array([1, 2, 3])))
      expect(yield* fs.exists(join(dir, key.projectId, key.taskId, key.attachmentId))).toBe(true)
      expect((yield* Effect.flip(storageWith([["ATTACHMENT_STORAGE", "s3"]])))._tag).toBe("ConfigError")
    }).pipe(Effect.scoped)
  )
})

layer(OnPglite)("AttachmentStorage in the database, beyond the contract", (it) => {
  it.effect("keeps bytes as bytea chunks of at most CHUNK_BYTES, which go with their task's deletion", () =>
    Effect.gen(function* () {
      const storage = yield* AttachmentStorage
      const sql = yield* SqlClient.SqlClient
      expect(storage.kind).toBe("database")
      const place = yield* aTaskRow
      const key = { ...place, attachmentId: newId(AttachmentId) }
      const bytes = new Uint8Array(CHUNK_BYTES * 2 + 10).map((_, i) => (i * 7) & 0xff)
      yield* storage.put(key, Stream.make(bytes.subarray(0, 1000), bytes.subarray(1000)))
      const rows = yield* sql<{ readonly seq: number; readonly length: number }>`
        SELECT seq, octet_length(data) AS length FROM attachment_chunks WHERE attachment_id = ${key.attachmentId} ORDER BY seq`
      expect(rows.map((row) => [row.seq, row.length])).toEqual([[0, CHUNK_BYTES], [1, CHUNK_BYTES], [2, 10]])
      yield* Effect.flatMap(TaskRepository, (tasks) => tasks.delete(place.taskId))
      expect(yield* storage.get(key)).toEqual(Option.none())
      const [left] = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM attachment_chunks WHERE task_id = ${place.taskId}`
      expect(left?.n).toBe(0)
    }))
})
