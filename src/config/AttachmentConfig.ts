import { Config } from "effect"
import { DEFAULT_ALLOWED_TYPES, MEDIA_TYPE } from "../domain/ContentType.js"

/**
 * `ATTACHMENT_*`: files on tasks (docs/architecture.md, "Attachments").
 *
 * - `ATTACHMENT_STORAGE`: where the bytes go. `database` (the default: a `bytea` table, on
 *   PGlite and Postgres alike, backed up with everything else) or `filesystem` (files under
 *   `ATTACHMENT_DIR`, which every API and worker process must see).
 * - `ATTACHMENT_MAX_BYTES`: the largest file (default 10 MiB; at most 2 GiB − 1). The upload
 *   route takes a body this large plus `MULTIPART_OVERHEAD` instead of `MAX_BODY_BYTES`.
 * - `ATTACHMENT_PROJECT_QUOTA`: the bytes all of a project's attachments may take (default 1 GiB).
 * - `ATTACHMENT_TYPES`: the media types accepted, comma-separated (default `DEFAULT_ALLOWED_TYPES`).
 */
export const AttachmentStorageKind = Config.literal("database", "filesystem")("ATTACHMENT_STORAGE").pipe(
  Config.withDefault("database" as const)
)

export const AttachmentDir = Config.string("ATTACHMENT_DIR").pipe(
  Config.validate({ message: "ATTACHMENT_DIR must name a directory", validation: (dir) => dir.trim() !== "" }),
  Config.withDefault("./.flowboard-attachments")
)

/** A multipart body's own bytes around the file: boundaries, part headers, a long file name. */
export const MULTIPART_OVERHEAD = 64 * 1024

const MAX_FILE_LIMIT = 2 ** 31 - 1

export const AttachmentMaxBytes = Config.integer("ATTACHMENT_MAX_BYTES").pipe(
  Config.validate({
    message: `ATTACHMENT_MAX_BYTES must be a number of bytes from 1 to ${MAX_FILE_LIMIT}`,
    validation: (n) => n >= 1 && n <= MAX_FILE_LIMIT
  }),
  Config.withDefault(10 * 1024 * 1024)
)

export const AttachmentProjectQuota = Config.integer("ATTACHMENT_PROJECT_QUOTA").pipe(
  Config.validate({ message: "ATTACHMENT_PROJECT_QUOTA must be a positive number of bytes", validation: (n) => n >= 1 }),
  Config.withDefault(1024 * 1024 * 1024)
)

export const AttachmentTypes = Config.string("ATTACHMENT_TYPES").pipe(
  Config.map((text) => text.split(",").map((type) => type.trim().toLowerCase()).filter((type) => type !== "")),
  Config.validate({
    message: "ATTACHMENT_TYPES takes media types like image/png, comma-separated",
    validation: (types) => types.length > 0 && types.every((type) => MEDIA_TYPE.test(type))
  }),
  Config.withDefault(DEFAULT_ALLOWED_TYPES)
)

export const AttachmentConfig = Config.all({
  maxBytes: AttachmentMaxBytes,
  projectQuota: AttachmentProjectQuota,
  allowedTypes: AttachmentTypes
})
export type AttachmentSettings = Config.Config.Success<typeof AttachmentConfig>

/** The largest upload body the route reads: one file at the limit, and its multipart framing. */
export const uploadBodyLimit = (maxBytes: number): number => maxBytes + MULTIPART_OVERHEAD
