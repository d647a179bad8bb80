import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schema } from "effect"
import { projectIdOf } from "../../src/domain/Activity.js"
import { Attachment } from "../../src/domain/Attachment.js"
import type { ProjectId } from "../../src/domain/Ids.js"
import { Page } from "../../src/domain/Page.js"
import { wants } from "../../src/events/HandlerRegistry.js"
import { AttachmentContentHandler } from "../../src/events/handlers/AttachmentContentHandler.js"
import { ActivityFeedHandler } from "../../src/events/handlers/ActivityFeedHandler.js"
import { ActivityRepository } from "../../src/repositories/ActivityRepository.js"
import { AttachmentStorage } from "../../src/repositories/AttachmentStorage.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { DOCX, EXE, HTML, PDF, PNG, SVG, TEXT, textOf, uploadForm } from "../support/Files.js"
import { type Cast, decodeBody, expectError, get, makeProject, type Reply, Scene, SceneLive, send, snapshot } from "./Harness.js"

/** Small limits, so that files over them are cheap: 64 KiB a file, 160 KiB a project, 16 KiB a JSON body. */
const MAX_BYTES = 64 * 1024
const QUOTA = 160 * 1024
const JSON_LIMIT = 16 * 1024

const AttachmentsLive = SceneLive.pipe(
  Layer.provide(
    Layer.setConfigProvider(
      ConfigProvider.fromMap(
        new Map([
          ["ATTACHMENT_MAX_BYTES", String(MAX_BYTES)],
          ["ATTACHMENT_PROJECT_QUOTA", String(QUOTA)],
          ["MAX_BODY_BYTES", String(JSON_LIMIT)]
        ])
      ).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
    )
  )
)

const Attachments = Page(Attachment)

const upload = (token: string, taskId: string, form: FormData) => send("POST", `/api/v1/tasks/${taskId}/attachments`, { token, form })
const listOf = (token: string, taskId: string) =>
  Effect.map(get(`/api/v1/tasks/${taskId}/attachments`, token), (reply) => decodeBody(Attachments, reply).items)
const download = (token: string, taskId: string, id: string) => get(`/api/v1/tasks/${taskId}/attachments/${id}/content`, token)
/** The body of a download as bytes (`Reply.text` is decoded text). */
const downloadedBytes = (token: string, taskId: string, id: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const request = HttpClientRequest.bearerToken(HttpClientRequest.get(`/api/v1/tasks/${taskId}/attachments/${id}/content`), token)
    const response = yield* HttpClient.withScope(http).execute(request)
    return new Uint8Array(yield* response.arrayBuffer)
  }).pipe(Effect.scoped, Effect.orDie)

/** A project of the cast with one task; the editor uploads to it. */
const givenTask = (cast: Cast, key: string) =>
  Effect.gen(function* () {
    const { project } = yield* makeProject(cast, key)
    const task = yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Write the spec" } })
    return { project, taskId: decodeBody(Schema.Struct({ id: Schema.String }), task).id }
  })

/** The keys storage holds bytes under, for one project. */
const storedIn = (projectId: string) =>
  Effect.flatMap(AttachmentStorage, (storage) => Effect.map(Effect.orDie(storage.stored), (keys) => keys.filter((key) => key.projectId === projectId)))

/** A project's events, as the outbox holds them. */
const eventsOf = (projectId: string) =>
  Effect.flatMap(OutboxRepository, (outbox) =>
    Effect.map(Effect.orDie(outbox.listAll), (events) => events.filter((event) => Option.contains(projectIdOf(event), projectId as ProjectId)))
  )

/** An error reply's body with every field, the ones the common shape leaves out too (`limit`, `quota`, `detectedType`…). */
const refusal = (reply: Reply, status: number, tag: string): Readonly<Record<string, unknown>> => {
  const shaped = expectError(reply, status, tag)
  return { ...shaped, ...(typeof reply.body === "object" && reply.body !== null ? reply.body : {}) }
}

/** A multipart body written out by hand: the file name as `filename*` (RFC 7578 §4.2), as a client does for names beyond Latin-1. */
const rawUpload = (token: string, taskId: string, filename: string, bytes: Uint8Array) => {
  const head = `--b0undary\r\nContent-Disposition: form-data; name="file"; filename="download"; filename*=UTF-8''${encodeURIComponent(filename)}\r\n\r\n`
  const body = Buffer.concat([Buffer.from(head), bytes, Buffer.from("\r\n--b0undary--\r\n")])
  return send("POST", `/api/v1/tasks/${taskId}/attachments`, { token, bytes: new Uint8Array(body), contentType: "multipart/form-data; boundary=b0undary" })
}

layer(AttachmentsLive)("attachments", (it) => {
  it.effect("stores PNG, PDF, text and DOCX with the type found in their bytes, whatever the client claims", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { taskId } = yield* givenTask(cast, "TYPES")
      const files: ReadonlyArray<readonly [string, Uint8Array, string]> = [
        ["diagram.png", PNG, "image/png"],
        ["spec.pdf", PDF, "application/pdf"],
        ["notes.txt", TEXT, "text/plain"],
        ["figures.csv", new TextEncoder().encode("a,b\n1,2\n"), "text/csv"],
        ["plan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        ["README", TEXT, "text/plain"]
      ]
      for (const [name, bytes, type] of files) {
        const reply = yield* upload(cast.editor.token, taskId, uploadForm(name, bytes, { claimedType: "text/html" }))
        expect({ name, status: reply.status }).toEqual({ name, status: 201 })
        const stored = decodeBody(Attachment, reply)
        expect({ filename: stored.filename, contentType: stored.contentType, size: stored.size, uploadedBy: stored.uploadedBy }).toEqual({
          filename: name,
          contentType: type,
          size: bytes.length,
          uploadedBy: cast.editor.user.id
        })
        expect(stored.sha256).toBe(Buffer.from(yield* Effect.promise(() => crypto.subtle.digest("SHA-256", bytes))).toString("hex"))
      }
      const listed = yield* listOf(cast.viewer.token, taskId)
      expect(listed.map((a) => a.filename)).toEqual(files.map(([name]) => name))
      const one = yield* get(`/api/v1/tasks/${taskId}/attachments/${listed[1]!.id}`, cast.viewer.token)
      expect(decodeBody(Attachment, one)).toEqual(listed[1])
    })
  )

  it.effect("refuses bytes that contradict their name, or are not allowed, with 415 naming the type found, and stores nothing", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "LIES")
      const before = yield* snapshot(cast.owner.token, project.id)
      const cases: ReadonlyArray<readonly [string, Uint8Array, string, string]> = [
        ["photo.png", HTML, "text/html", "which is not an allowed attachment type"],
        ["photo.png", EXE, "application/x-msdownload", "which is not an allowed attachment type"],
        ["photo.png", PDF, "application/pdf", "which a .png file cannot be"],
        ["report.pdf", PNG, "image/png", "which a .pdf file cannot be"],
        ["notes.txt", HTML, "text/html", "which is not an allowed attachment type"],
        ["setup.exe", EXE, "application/x-msdownload", "which is not an allowed attachment type"],
        ["logo.svg", SVG, "image/svg+xml", "which is not an allowed attachment type"],
        ["data.bin", new Uint8Array([0x00, 0x01, 0x02, 0xff]), "application/octet-stream", "which is not an allowed attachment type"]
      ]
      for (const [name, bytes, detected, why] of cases) {
        const body = refusal(yield* upload(cast.editor.token, taskId, uploadForm(name, bytes, { claimedType: "image/png" })), 415, "UnsupportedMediaType")
        expect({ name, message: body["message"], detectedType: body["detectedType"] }).toEqual({
          name,
          message: `the file's bytes are ${detected}, ${why}`,
          detectedType: detected
        })
      }
      expect(yield* snapshot(cast.owner.token, project.id)).toEqual(before)
      expect(yield* storedIn(project.id)).toEqual([])
    })
  )

  it.effect("keeps only the last segment of a file name: ../../etc/passwd is passwd", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { taskId } = yield* givenTask(cast, "PATHS")
      const names: ReadonlyArray<readonly [string, string]> = [
        ["../../etc/passwd", "passwd"],
        ["..\\..\\Windows\\win.ini", "win.ini"],
        ["/", "attachment"],
        ["report\u202Etxt.exe.txt", "reporttxt.exe.txt"],
        ["\tnotes\u0007.txt. ", "notes.txt"]
      ]
      for (const [sent, kept] of names) {
        const stored = decodeBody(Attachment, yield* rawUpload(cast.editor.token, taskId, sent, TEXT))
        expect({ sent, filename: stored.filename }).toEqual({ sent, filename: kept })
      }
      const passwd = (yield* listOf(cast.editor.token, taskId))[0]!
      expect((yield* download(cast.editor.token, taskId, passwd.id)).headers["content-disposition"]).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`)
    })
  )

  it.effect("serves a download as an attachment with its type, nosniff and a sandboxing CSP, byte for byte", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { taskId } = yield* givenTask(cast, "DOWN")
      const png = decodeBody(Attachment, yield* rawUpload(cast.editor.token, taskId, "Überblick – März.png", PNG))
      const reply = yield* download(cast.viewer.token, taskId, png.id)
      expect(reply.status).toBe(200)
      expect({
        type: reply.headers["content-type"],
        length: reply.headers["content-length"],
        disposition: reply.headers["content-disposition"],
        nosniff: reply.headers["x-content-type-options"],
        csp: reply.headers["content-security-policy"],
        cache: reply.headers["cache-control"],
        frames: reply.headers["x-frame-options"],
        corp: reply.headers["cross-origin-resource-policy"],
        referrer: reply.headers["referrer-policy"]
      }).toEqual({
        type: "image/png",
        length: String(PNG.length),
        disposition: `attachment; filename="_berblick _ M_rz.png"; filename*=UTF-8''%C3%9Cberblick%20%E2%80%93%20M%C3%A4rz.png`,
        nosniff: "nosniff",
        csp: "default-src 'none'; sandbox",
        cache: "no-store",
        frames: "DENY",
        corp: "same-origin",
        referrer: "no-referrer"
      })
      expect(yield* downloadedBytes(cast.viewer.token, taskId, png.id)).toEqual(PNG)
      // As a browser sends a name beyond Latin-1: raw UTF-8 in filename="…" (the HTML form encoding).
      const minutes = decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("議事録 – März.txt", TEXT)))
      expect(minutes.filename).toBe("議事録 – März.txt")
      expect((yield* download(cast.viewer.token, taskId, minutes.id)).headers["content-disposition"]).toBe(
        `attachment; filename="___ _ M_rz.txt"; filename*=UTF-8''%E8%AD%B0%E4%BA%8B%E9%8C%B2%20%E2%80%93%20M%C3%A4rz.txt`
      )
      expect(yield* downloadedBytes(cast.viewer.token, taskId, minutes.id)).toEqual(TEXT)
      const text = decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("notes.txt", TEXT)))
      const notes = yield* download(cast.viewer.token, taskId, text.id)
      expect(notes.headers["content-type"]).toBe("text/plain; charset=utf-8")
      expect(notes.text).toBe(new TextDecoder().decode(TEXT))
    })
  )

  it.effect("refuses a file of the limit + 1 bytes with 413 naming the limit, and stores nothing; the limit itself is fine", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "LIMIT")
      const refused = refusal(yield* upload(cast.editor.token, taskId, uploadForm("big.txt", textOf(MAX_BYTES + 1))), 413, "PayloadTooLarge")
      expect(refused).toMatchObject({ message: `file: larger than ${MAX_BYTES} bytes, the limit per attachment (ATTACHMENT_MAX_BYTES)`, limit: MAX_BYTES })
      expect(yield* listOf(cast.editor.token, taskId)).toEqual([])
      expect(yield* storedIn(project.id)).toEqual([])
      // A body far over the route's limit is refused from its Content-Length, before it is read.
      const huge = refusal(yield* upload(cast.editor.token, taskId, uploadForm("huge.txt", textOf(MAX_BYTES + 128 * 1024))), 413, "PayloadTooLarge")
      expect(huge).toMatchObject({ message: `request body larger than ${MAX_BYTES + 64 * 1024} bytes: an attachment may have ${MAX_BYTES} (ATTACHMENT_MAX_BYTES)`, limit: MAX_BYTES })
      expect(yield* storedIn(project.id)).toEqual([])
      const atLimit = yield* upload(cast.editor.token, taskId, uploadForm("exact.txt", textOf(MAX_BYTES)))
      expect(decodeBody(Attachment, atLimit).size).toBe(MAX_BYTES)
    })
  )

  it.effect("takes uploads larger than MAX_BODY_BYTES, which still bounds JSON bodies", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "ROUTE")
      const file = textOf(JSON_LIMIT * 3)
      expect(decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("big-but-fine.txt", file))).size).toBe(file.length)
      const json = yield* send("POST", `/api/v1/tasks/${taskId}/comments`, { token: cast.editor.token, body: { body: "x".repeat(JSON_LIMIT) } })
      expect(expectError(json, 413, "PayloadTooLarge").message).toBe(`request body larger than ${JSON_LIMIT} bytes`)
      // And an upload must say it is one.
      const asJson = yield* send("POST", `/api/v1/tasks/${taskId}/attachments`, { token: cast.editor.token, body: { file: "aGVsbG8=" } })
      expectError(asJson, 415, "UnsupportedMediaType")
      expect((yield* storedIn(project.id)).length).toBe(1)
    })
  )

  it.effect("refuses an upload that would exceed the project's quota with 409 naming quota and use, and stores nothing", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "QUOTA")
      const first = decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("one.txt", textOf(60 * 1024))))
      decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("two.txt", textOf(60 * 1024))))
      const used = 120 * 1024
      const refused = refusal(yield* upload(cast.editor.token, taskId, uploadForm("three.txt", textOf(50 * 1024))), 409, "AttachmentQuotaExceeded")
      expect(refused).toMatchObject({ quota: QUOTA, used, size: 50 * 1024 })
      expect(refused["message"]).toBe(`the project's attachments may take ${QUOTA} bytes (ATTACHMENT_PROJECT_QUOTA); ${used} are in use, and this file has ${50 * 1024}`)
      expect((yield* listOf(cast.editor.token, taskId)).length).toBe(2)
      expect((yield* storedIn(project.id)).length).toBe(2)
      // What fits still goes in; deleting frees the space again.
      decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("fits.txt", textOf(40 * 1024))))
      const full = refusal(yield* upload(cast.editor.token, taskId, uploadForm("any.txt", textOf(1))), 409, "AttachmentQuotaExceeded")
      expect(full).toMatchObject({ used: QUOTA, size: 0 })
      expect((yield* send("DELETE", `/api/v1/tasks/${taskId}/attachments/${first.id}`, { token: cast.editor.token })).status).toBe(204)
      expect((yield* upload(cast.editor.token, taskId, uploadForm("again.txt", textOf(1)))).status).toBe(201)
    })
  )

  it.effect("answers a body without the file part 400 naming the field, and other malformed bodies 400, changing nothing", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "PARTS")
      const before = yield* snapshot(cast.owner.token, project.id)
      const fieldOnly = new FormData()
      fieldOnly.append("file", "just text, no file name")
      const twoFiles = uploadForm("a.txt", TEXT)
      twoFiles.append("file", new Blob([TEXT]), "b.txt")
      const issue = (reply: Reply) => {
        const body = expectError(reply, 400, "ValidationError")
        return { path: body.issues?.[0]?.path, message: body.message }
      }
      expect(issue(yield* upload(cast.editor.token, taskId, new FormData()))).toEqual({
        path: ["file"],
        message: "file: is required: send the file as the multipart/form-data part named file"
      })
      expect(issue(yield* upload(cast.editor.token, taskId, uploadForm("a.txt", TEXT, { field: "attachment" })))).toEqual({
        path: ["attachment"],
        message: "attachment: is not a part of this request: send one part, the file, named file"
      })
      expect(issue(yield* upload(cast.editor.token, taskId, fieldOnly))).toEqual({ path: ["file"], message: "file: must be a file: a part with a file name" })
      expect(issue(yield* upload(cast.editor.token, taskId, twoFiles))).toEqual({ path: ["file"], message: "file: send one file per request" })
      expect(issue(yield* upload(cast.editor.token, taskId, uploadForm("empty.txt", new Uint8Array(0))))).toEqual({ path: ["file"], message: "file: is empty" })
      const garbage = yield* send("POST", `/api/v1/tasks/${taskId}/attachments`, {
        token: cast.editor.token,
        rawBody: "--xyz\r\nthis is not a part header\r\n",
        contentType: "multipart/form-data; boundary=xyz"
      })
      expect(expectError(garbage, 400, "ValidationError").issues?.[0]?.path).toEqual([])
      expect(yield* snapshot(cast.owner.token, project.id)).toEqual(before)
      expect(yield* storedIn(project.id)).toEqual([])
    })
  )

  it.effect("lets viewers list and download but not upload or delete (403); non-members get 404", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "ROLES")
      const stored = decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("notes.txt", TEXT)))
      const item = `/api/v1/tasks/${taskId}/attachments/${stored.id}`
      expect(expectError(yield* upload(cast.viewer.token, taskId, uploadForm("mine.txt", TEXT)), 403, "Forbidden").message).toBe(
        `this needs the editor role on project ${project.key}`
      )
      expectError(yield* send("DELETE", item, { token: cast.viewer.token }), 403, "Forbidden")
      expect((yield* listOf(cast.viewer.token, taskId)).map((a) => a.id)).toEqual([stored.id])
      expect((yield* download(cast.viewer.token, taskId, stored.id)).status).toBe(200)
      for (const reply of [
        yield* upload(cast.outsider.token, taskId, uploadForm("x.txt", TEXT)),
        yield* get(`/api/v1/tasks/${taskId}/attachments`, cast.outsider.token),
        yield* get(item, cast.outsider.token),
        yield* download(cast.outsider.token, taskId, stored.id),
        yield* send("DELETE", item, { token: cast.outsider.token })
      ]) {
        expect(expectError(reply, 404, "NotFound")).toMatchObject({ resource: "task", id: taskId })
      }
      // An attachment asked for under another task of the project is not there.
      const other = yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Other" } })
      const otherId = decodeBody(Schema.Struct({ id: Schema.String }), other).id
      expect(expectError(yield* download(cast.viewer.token, otherId, stored.id), 404, "NotFound")).toMatchObject({ resource: "attachment" })
      expect((yield* listOf(cast.owner.token, taskId)).length).toBe(1)
    })
  )

  it.effect("records attachment.added.v1 and attachment.deleted.v1 with activity entries; a delete removes the bytes", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project, taskId } = yield* givenTask(cast, "EVENTS")
      const stored = decodeBody(Attachment, yield* upload(cast.editor.token, taskId, uploadForm("spec.pdf", PDF)))
      expect(yield* storedIn(project.id)).toEqual([{ projectId: project.id, taskId, attachmentId: stored.id }])
      expect((yield* send("DELETE", `/api/v1/tasks/${taskId}/attachments/${stored.id}`, { token: cast.editor.token })).status).toBe(204)
      expect(yield* storedIn(project.id)).toEqual([])
      expectError(yield* download(cast.editor.token, taskId, stored.id), 404, "NotFound")
      expectError(yield* send("DELETE", `/api/v1/tasks/${taskId}/attachments/${stored.id}`, { token: cast.editor.token }), 404, "NotFound")

      const events = (yield* eventsOf(project.id)).filter((event) => event.type.startsWith("attachment."))
      const payload = { projectId: project.id, attachmentId: stored.id, filename: "spec.pdf", contentType: "application/pdf", size: PDF.length }
      expect(events.map((e) => ({ type: e.type, aggregateId: e.aggregateId, actor: e.actor, payload: e.payload }))).toEqual([
        { type: "attachment.added.v1", aggregateId: taskId, actor: cast.editor.user.id, payload },
        { type: "attachment.deleted.v1", aggregateId: taskId, actor: cast.editor.user.id, payload }
      ])
      const feed = yield* ActivityFeedHandler
      for (const event of events) yield* feed.handle(event)
      const entries = yield* Effect.flatMap(ActivityRepository, (activity) => activity.list({ projectId: project.id as ProjectId, types: [], limit: 10, before: null }))
      expect(entries.filter((e) => e.type.startsWith("attachment.")).map((e) => e.summary)).toEqual([
        "removed the attachment “spec.pdf” from task #1 “Write the spec”",
        "attached “spec.pdf” to task #1 “Write the spec”"
      ])
    })
  )

  it.effect("deleting a task, or a project, deletes its attachments and, through the deletion's event, their bytes", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const handler = yield* AttachmentContentHandler
      expect(["task.deleted.v1", "project.deleted.v1", "attachment.deleted.v1"].map((type) => wants(handler, type as never))).toEqual([true, true, false])
      const { project, taskId } = yield* givenTask(cast, "GONE")
      const other = decodeBody(Schema.Struct({ id: Schema.String }), yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Keep" } })).id
      yield* upload(cast.editor.token, taskId, uploadForm("a.txt", TEXT))
      yield* upload(cast.editor.token, taskId, uploadForm("b.png", PNG))
      const kept = decodeBody(Attachment, yield* upload(cast.editor.token, other, uploadForm("c.txt", TEXT)))
      const handleDeletions = Effect.flatMap(eventsOf(project.id), (events) =>
        Effect.forEach(events.filter((event) => wants(handler, event.type)), handler.handle, { discard: true })
      )

      expect((yield* send("DELETE", `/api/v1/tasks/${taskId}`, { token: cast.editor.token })).status).toBe(204)
      yield* handleDeletions
      expect((yield* storedIn(project.id)).map((key) => key.attachmentId)).toEqual([kept.id])
      expect((yield* listOf(cast.editor.token, other)).map((a) => a.id)).toEqual([kept.id])

      expect((yield* send("DELETE", `/api/v1/projects/${project.id}`, { token: cast.owner.token })).status).toBe(204)
      yield* handleDeletions
      expect(yield* storedIn(project.id)).toEqual([])
    })
  )
})
