import { NodeFileSystem } from "@effect/platform-node"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { AttachmentDir, AttachmentStorageKind } from "../config/AttachmentConfig.js"
import type { AttachmentStorage } from "./AttachmentStorage.js"
import { FileAttachmentStorage } from "./files/FileAttachmentStorage.js"
import { SqlAttachmentStorageLive } from "./sql/SqlAttachmentStorage.js"

/**
 * The attachment storage `ATTACHMENT_STORAGE` names: the database the other repositories use
 * (default), or the directory `ATTACHMENT_DIR`. Said once at start, like the other choices.
 */
export const AttachmentStorageLive: Layer.Layer<AttachmentStorage, ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const kind = yield* AttachmentStorageKind
    if (kind === "database") {
      yield* Effect.logDebug("attachments are stored in the database")
      return SqlAttachmentStorageLive
    }
    const dir = yield* AttachmentDir
    yield* Effect.logInfo(`attachments are stored in ${dir}`).pipe(Effect.annotateLogs("attachments", "filesystem"))
    return FileAttachmentStorage(dir).pipe(Layer.provide(NodeFileSystem.layer))
  })
)
