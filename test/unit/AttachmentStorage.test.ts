import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Stream } from "effect"
import { join } from "node:path"
import { AttachmentId, newId, ProjectId, TaskId } from "../../src/domain/Ids.js"
import { AttachmentStorage } from "../../src/repositories/AttachmentStorage.js"
import { FileAttachmentStorage } from "../../src/repositories/files/FileAttachmentStorage.js"
import { MemoryAttachmentStorage } from "../../src/repositories/memory/MemoryAttachmentStorage.js"
import { attachmentStorageContract } from "../contract/AttachmentStorageContract.js"

const anywhere = Effect.sync(() => ({ projectId: newId(ProjectId), taskId: newId(TaskId) }))

/** The directory the files go to: made for the suite, removed with everything in it afterwards. */
class Directory extends Context.Tag("test/AttachmentDirectory")<Directory, string>() {}
const DirectoryLive = Layer.scoped(
  Directory,
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "flowboard-attachments-" }))
).pipe(Layer.provide(NodeFileSystem.layer))

const OnDisk = Layer.unwrapEffect(Effect.map(Directory, (dir) => FileAttachmentStorage(dir))).pipe(
  Layer.provideMerge(DirectoryLive),
  Layer.provideMerge(NodeFileSystem.layer)
)

attachmentStorageContract("in memory", MemoryAttachmentStorage, anywhere)
attachmentStorageContract("in a directory", OnDisk, anywhere)

// The suite's own `layer`: after the contract's, the module-level `it` runs in the last layer built.
layer(NodeFileSystem.layer)("AttachmentStorage in a directory, beyond the contract", (it) => {
  it.scoped("files bytes at <project>/<task>/<attachment>, leaves no temporary file, and removes its directory at the end", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "flowboard-attachments-" })
      const storage = yield* Effect.provide(AttachmentStorage, FileAttachmentStorage(dir))
      const key = { projectId: newId(ProjectId), taskId: newId(TaskId), attachmentId: newId(AttachmentId) }
      yield* storage.put(key, Stream.make(new TextEncoder().encode("hello")))
      expect(yield* fs.readFileString(join(dir, key.projectId, key.taskId, key.attachmentId))).toBe("hello")
      const failed = { ...key, attachmentId: newId(AttachmentId) }
      yield* Effect.exit(storage.put(failed, Stream.fail("client gone")))
      expect(yield* fs.readDirectory(join(dir, ".tmp"))).toEqual([])
      // A key that is not made of UUIDs never becomes a path.
      const exit = yield* Effect.exit(storage.get({ ...key, attachmentId: AttachmentId.make("../../../etc/passwd", { disableValidation: true }) }))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    })
  )
})
