import { HttpApiBuilder, HttpServerRequest, HttpServerResponse, Multipart } from "@effect/platform"
import { Effect, Option, Stream } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { AttachmentMaxBytes, uploadBodyLimit } from "../config/AttachmentConfig.js"
import type { Attachment } from "../domain/Attachment.js"
import { servedType } from "../domain/ContentType.js"
import { Issue, PayloadTooLarge, type RepositoryError, ValidationError } from "../domain/Errors.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import type { UploadFailure } from "../services/AttachmentIntake.js"
import { AttachmentService, type UploadPart } from "../services/AttachmentService.js"
import { contentDisposition, DOWNLOAD_POLICY } from "./ContentDisposition.js"
import { asActor, orInternal } from "./Errors.js"
import { utf8FileName, utf8NamedParts } from "./PartHeaders.js"

const bodyIssue = (message: string) => new ValidationError({ message: `body: ${message}`, issues: [new Issue({ path: [], message })] })

/** The parser's refusals, in the API's words. */
const uploadFailure = (maxBytes: number) => (error: Multipart.MultipartError): UploadFailure => {
  switch (error.reason) {
    case "FileTooLarge":
    case "BodyTooLarge":
      return new PayloadTooLarge({
        message: `request body larger than ${uploadBodyLimit(maxBytes)} bytes: an attachment may have ${maxBytes} (ATTACHMENT_MAX_BYTES)`,
        limit: maxBytes
      })
    case "TooManyParts":
      return bodyIssue("has too many parts: send one, the file")
    case "FieldTooLarge":
      // A part without a (readable) file name is a field, held in memory: it must be small.
      return bodyIssue(
        "has a part without a readable file name larger than 64 KiB: send the file as the part named file, with its file name (one with characters beyond Latin-1 as filename*=UTF-8''<percent-encoded>)"
      )
    case "Parse":
    case "InternalError":
      return bodyIssue("is not valid multipart/form-data")
  }
}

/**
 * The body's parts as the service takes them. The parser's own limits are backstops (the
 * service counts the file's bytes itself and names the limit): a few parts, small fields, and
 * the whole body at most a file at the limit plus its framing.
 */
const uploadParts = (payload: Stream.Stream<Multipart.Part, Multipart.MultipartError>, maxBytes: number): Stream.Stream<UploadPart, UploadFailure> => {
  const failure = uploadFailure(maxBytes)
  return Multipart.withLimitsStream(payload, {
    maxParts: Option.some(8),
    maxFieldSize: 64 * 1024,
    maxTotalSize: Option.some(uploadBodyLimit(maxBytes))
  }).pipe(
    Stream.mapError(failure),
    Stream.map(
      (part): UploadPart =>
        part._tag === "Field"
          ? { _tag: "Field", key: part.key }
          : { _tag: "File", key: part.key, name: utf8FileName(part.name), content: Stream.mapError(part.content, failure) }
    )
  )
}

const download = ({ attachment, content }: { readonly attachment: Attachment; readonly content: Stream.Stream<Uint8Array, RepositoryError> }) =>
  HttpServerResponse.stream(content, {
    status: 200,
    contentType: servedType(attachment.contentType),
    contentLength: attachment.size,
    headers: {
      "content-disposition": contentDisposition(attachment.filename),
      "content-security-policy": DOWNLOAD_POLICY,
      "x-content-type-options": "nosniff"
    }
  })

export const AttachmentsHttp = HttpApiBuilder.group(Api, "attachments", (handlers) =>
  Effect.gen(function* () {
    const attachments = yield* AttachmentService
    const maxBytes = yield* AttachmentMaxBytes
    return handlers
      // The parts are read from the request rather than the platform's `payload`, to keep file
      // names sent as raw UTF-8 (PartHeaders.ts); the payload's schema still documents the body.
      .handle("uploadAttachment", ({ path }) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
          asActor((actor) => attachments.upload(actor, path.taskId, uploadParts(utf8NamedParts(request), maxBytes)))
        )
      )
      .handle("listAttachments", ({ path, urlParams }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => attachments.list(actor, path.taskId, { limit: urlParams.limit ?? DEFAULT_LIMIT, cursor: urlParams.cursor ?? null })),
          orInternal
        )
      )
      .handle("getAttachment", ({ path }) => asActor((actor) => attachments.get(actor, path.taskId, path.attachmentId)))
      .handle("downloadAttachment", ({ path }) => asActor((actor) => Effect.map(attachments.download(actor, path.taskId, path.attachmentId), download)))
      .handle("deleteAttachment", ({ path }) => asActor((actor) => attachments.delete(actor, path.taskId, path.attachmentId)))
  })
)
