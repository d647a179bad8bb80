import { Schema } from "effect"
import { AttachmentId, ProjectId, TaskId, UserId } from "./Ids.js"
import { Timestamp } from "./Model.js"

/**
 * A file attached to a task. Its bytes live behind the `AttachmentStorage` port (the database
 * or a directory); this is what the API says about them. `contentType` was decided from the
 * bytes when the file was uploaded (src/domain/ContentType.ts), never taken from the client.
 */
export class Attachment extends Schema.Class<Attachment>("Attachment")({
  id: AttachmentId,
  taskId: TaskId,
  projectId: ProjectId,
  filename: Schema.String.annotations({
    description: "The uploaded file's name, normalised: its last path segment, NFC, no control characters, at most 200 characters"
  }),
  contentType: Schema.String.annotations({ description: "The media type the server found in the bytes, served on download" }),
  size: Schema.Int.annotations({ description: "Bytes" }),
  sha256: Schema.String.annotations({ description: "SHA-256 of the bytes, lower-case hex" }),
  uploadedBy: UserId,
  createdAt: Timestamp
}) {}
