import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, Multipart, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Attachment } from "../domain/Attachment.js"
import { AttachmentQuotaExceeded, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError } from "../domain/Errors.js"
import { AttachmentId } from "../domain/Ids.js"
import { Page } from "../domain/Page.js"
import { PageParams, strictParams, taskId } from "./Common.js"

export const attachmentId = HttpApiSchema.param("attachmentId", AttachmentId)

/** The upload's body as the document shows it; the handler reads it as a stream of parts. */
export const UploadBody = HttpApiSchema.MultipartStream(
  Schema.Struct({
    file: Multipart.FileSchema.annotations({
      description: "The file: one part named `file`, with a file name. Its type is decided from its bytes; the part's `Content-Type` is ignored"
    })
  })
)

/** A download's body: the bytes as stored, labelled with the type found in them when uploaded. */
const Content = Schema.Uint8ArrayFromSelf.pipe(HttpApiSchema.withEncoding({ kind: "Uint8Array", contentType: "application/octet-stream" })).annotations({
  jsonSchema: { type: "string", format: "binary" },
  description:
    "The bytes, with `Content-Type` the attachment's `contentType` (text as UTF-8), `Content-Disposition: attachment` with its file name (RFC 6266, `filename*` in UTF-8), `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'; sandbox`"
})

export class AttachmentsApi extends HttpApiGroup.make("attachments")
  .add(
    HttpApiEndpoint.post("uploadAttachment")`/tasks/${taskId}/attachments`
      .setPayload(UploadBody)
      .addSuccess(Attachment, { status: 201 })
      .addError(NotFound)
      .addError(Forbidden)
      .addError(ValidationError)
      .addError(PayloadTooLarge)
      .addError(UnsupportedMediaType)
      .addError(AttachmentQuotaExceeded)
      .annotate(
        OpenApi.Description,
        "Attach a file (`multipart/form-data`, one part named `file`; editors). The body may be `ATTACHMENT_MAX_BYTES` plus 64 KiB of framing, and needs a `Content-Length`. The type is decided from the bytes and must be allowed (`ATTACHMENT_TYPES`) and agree with the file name's extension, else 415 naming the type found; a larger file is 413 naming the limit; a project over `ATTACHMENT_PROJECT_QUOTA` is 409. A refused upload stores nothing."
      )
  )
  .add(
    HttpApiEndpoint.get("listAttachments")`/tasks/${taskId}/attachments`
      .setUrlParams(strictParams(PageParams))
      .addSuccess(Page(Attachment))
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("getAttachment")`/tasks/${taskId}/attachments/${attachmentId}`.addSuccess(Attachment).addError(NotFound))
  .add(
    HttpApiEndpoint.get("downloadAttachment")`/tasks/${taskId}/attachments/${attachmentId}/content`
      .addSuccess(Content)
      .addError(NotFound)
      .annotate(OpenApi.Description, "The attachment's bytes, to save rather than to display: served so that a browser never renders them in the API's origin.")
  )
  .add(
    HttpApiEndpoint.del("deleteAttachment")`/tasks/${taskId}/attachments/${attachmentId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .addError(Forbidden)
  )
  .annotate(OpenApi.Title, "Attachments")
  .annotate(
    OpenApi.Description,
    "Files on tasks. Editors upload and delete; every member lists and downloads; non-members get 404. Deleting a task or project deletes its attachments."
  ) {}
