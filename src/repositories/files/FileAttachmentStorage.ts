import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Exit, Layer, Option, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { join, resolve, sep } from "node:path"
import { RepositoryError } from "../../domain/Errors.js"
import { AttachmentId, ProjectId, TaskId } from "../../domain/Ids.js"
import { AttachmentStorage, type ContentKey } from "../AttachmentStorage.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A path segment from an id. Ids are UUIDs by their schema; this makes sure before a path is built of them. */
const segment = (id: string): Effect.Effect<string> => (UUID.test(id) ? Effect.succeed(id) : Effect.dieMessage(`not a UUID, refused as a path segment: ${JSON.stringify(id)}`))

const TRANSIENT = new Set(["Busy", "TimedOut", "WouldBlock"])

const fault = (operation: string) => (error: PlatformError) =>
  new RepositoryError({
    message: `attachment storage: ${operation} failed (${error.message})`,
    transient: error._tag === "SystemError" && TRANSIENT.has(error.reason),
    cause: error
  })

/**
 * Attachment bytes as files under a directory (`ATTACHMENT_DIR`), at
 * `<project id>/<task id>/<attachment id>`: paths are made of ids only, never of a client's
 * file name. An upload streams into `.tmp/<attachment id>.<random>.part` (created exclusively,
 * mode 0600), is synced, then renamed into place, so a reader never sees half a file and a
 * failed upload leaves nothing but the removed temporary file. Removal of a task or project is
 * one recursive delete of its directory.
 *
 * Every process that serves or deletes attachments must see the same directory (a shared
 * volume); the database storage has no such need.
 */
export const FileAttachmentStorage = (directory: string): Layer.Layer<AttachmentStorage, never, FileSystem.FileSystem> =>
  Layer.effect(
    AttachmentStorage,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = resolve(directory)
      const temporary = join(root, ".tmp")

      const projectDir = (projectId: string) => Effect.map(segment(projectId), (p) => join(root, p))
      const taskDir = (projectId: string, taskId: string) =>
        Effect.zipWith(projectDir(projectId), segment(taskId), (dir, t) => join(dir, t))
      const fileOf = (key: ContentKey) =>
        Effect.zipWith(taskDir(key.projectId, key.taskId), segment(key.attachmentId), (dir, a) => ({ dir, path: join(dir, a) }))

      const removePath = (path: string, operation: string) =>
        fs.remove(path, { recursive: true, force: true }).pipe(Effect.mapError(fault(operation)))

      return AttachmentStorage.of({
        kind: "filesystem",
        put: (key, content) =>
          Effect.gen(function* () {
            const target = yield* fileOf(key)
            const part = join(temporary, `${yield* segment(key.attachmentId)}.${randomUUID()}.part`)
            const write = Effect.scoped(
              Effect.gen(function* () {
                const file = yield* fs.open(part, { flag: "wx", mode: 0o600 }).pipe(Effect.mapError(fault("open")))
                let size = 0
                yield* Stream.runForEach(content, (chunk) => {
                  size += chunk.length
                  return file.writeAll(chunk).pipe(Effect.mapError(fault("write")))
                })
                yield* file.sync.pipe(Effect.mapError(fault("sync")))
                return size
              })
            )
            const stored = Effect.gen(function* () {
              const size = yield* write
              yield* fs.makeDirectory(target.dir, { recursive: true }).pipe(Effect.mapError(fault("mkdir")))
              yield* fs.rename(part, target.path).pipe(Effect.mapError(fault("rename")))
              return size
            })
            yield* fs.makeDirectory(temporary, { recursive: true }).pipe(Effect.mapError(fault("mkdir")))
            return yield* stored.pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.ignore(fs.remove(part, { force: true })))))
          }),
        get: (key) =>
          Effect.gen(function* () {
            const { path } = yield* fileOf(key)
            if (!(yield* fs.exists(path).pipe(Effect.mapError(fault("stat"))))) return Option.none()
            return Option.some(fs.stream(path, { chunkSize: FileSystem.KiB(64) }).pipe(Stream.mapError(fault("read"))))
          }),
        remove: (key) => Effect.flatMap(fileOf(key), ({ path }) => removePath(path, "remove")),
        removeTask: (projectId, taskId) => Effect.flatMap(taskDir(projectId, taskId), (dir) => removePath(dir, "removeTask")),
        removeProject: (projectId) => Effect.flatMap(projectDir(projectId), (dir) => removePath(dir, "removeProject")),
        stored: Effect.gen(function* () {
          if (!(yield* fs.exists(root).pipe(Effect.mapError(fault("stat"))))) return []
          const paths = yield* fs.readDirectory(root, { recursive: true }).pipe(Effect.mapError(fault("list")))
          return paths.flatMap((path) => {
            const [projectId, taskId, attachmentId, ...rest] = path.split(sep)
            if (rest.length > 0 || ![projectId, taskId, attachmentId].every((id) => id !== undefined && UUID.test(id))) return []
            return [{ projectId: ProjectId.make(projectId!), taskId: TaskId.make(taskId!), attachmentId: AttachmentId.make(attachmentId!) }]
          })
        })
      })
    })
  )
