import { HttpClient, HttpClientRequest } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { ServicesLive } from "../../layers/Services.js"
import { Attachment } from "../../src/domain/Attachment.js"
import { CreateColumn, CreateProject, CreateTask, MoveTask, UpdateTask } from "../../src/domain/Requests.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { SqlReadiness } from "../../src/repositories/sql/SqlReadiness.js"
import { decodeBody, send } from "../e2e/Harness.js"
import { PgliteTest } from "../support/Database.js"
import { PNG, uploadForm } from "../support/Files.js"
import { signUp } from "../unit/services/Fixtures.js"
import { bootstrapAdmin, clientWithKey, HttpTestServer } from "../support/TestApi.js"

/**
 * The whole API over the SQL adapters as `npm start` runs it (PGlite), including the column
 * lock that keeps WIP limits under concurrent moves.
 */
const apiOn = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  HttpAppLive.pipe(
    Layer.provideMerge(Layer.mergeAll(ServicesLive, SqlReadiness("test")).pipe(Layer.provideMerge(SqlRepositoriesLive))),
    Layer.provideMerge(HttpTestServer),
    Layer.provideMerge(database)
  )

const walkthrough = Effect.gen(function* () {
  const admin = yield* bootstrapAdmin
  const client = yield* clientWithKey(admin.token)
  const project = yield* client.projects.createProject({ payload: new CreateProject({ key: "SQL", name: "On SQL" }) })
  const columns = yield* client.board.listColumns({ path: { projectId: project.id } })
  const [a, b, c] = yield* Effect.forEach(["A", "B", "C"], (title) =>
    client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title }) })
  )
  // C goes between A and B; then B to "In progress".
  yield* client.tasks.moveTask({ path: { taskId: c!.id }, payload: new MoveTask({ version: 1, columnId: columns[0]!.id, afterId: a!.id, beforeId: b!.id }) })
  yield* client.tasks.moveTask({ path: { taskId: b!.id }, payload: new MoveTask({ version: 1, columnId: columns[2]!.id }) })
  const board = yield* client.board.getBoard({ path: { projectId: project.id } })
  expect(board.columns.map((col) => col.tasks.map((t) => t.title))).toEqual([["A", "C"], [], ["B"], [], []])

  const stale = yield* Effect.flip(client.tasks.updateTask({ path: { taskId: c!.id }, payload: new UpdateTask({ version: 1, title: "late" }) }))
  expect(stale._tag).toBe("VersionConflict")
  return { client, project }
})

const wipUnderConcurrency = Effect.gen(function* () {
  const { client, project } = yield* walkthrough
  const limited = yield* client.board.createColumn({ path: { projectId: project.id }, payload: new CreateColumn({ name: "Narrow", wipLimit: 2 }) })
  const tasks = yield* Effect.forEach(Array.from({ length: 6 }, (_, i) => `W${i}`), (title) =>
    client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title }) })
  )
  const results = yield* Effect.all(
    tasks.map((task) =>
      Effect.either(client.tasks.moveTask({ path: { taskId: task.id }, payload: new MoveTask({ version: 1, columnId: limited.id }) }))
    ),
    { concurrency: "unbounded" }
  )
  const refused = results.filter((r) => r._tag === "Left").map((r) => (r._tag === "Left" ? r.left._tag : ""))
  expect(results.filter((r) => r._tag === "Right")).toHaveLength(2)
  expect(refused).toEqual(Array(4).fill("WipLimitExceeded"))
  const board = yield* client.board.getBoard({ path: { projectId: project.id } })
  expect(board.columns.find((col) => col.id === limited.id)!.tasks).toHaveLength(2)
})

/** `ATTACHMENT_STORAGE` unset: bytes in `attachment_chunks`, every byte value, across chunks; gone with the task. */
const attachmentBytes = Effect.gen(function* () {
  const { token } = yield* signUp()
  const sql = yield* SqlClient.SqlClient
  const Created = Schema.Struct({ id: Schema.String })
  const project = decodeBody(Created, yield* send("POST", "/api/v1/projects", { token, body: { key: "BYTEA", name: "Bytes" } }))
  const task = decodeBody(Created, yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token, body: { title: "Attach" } }))
  const file = new Uint8Array(Buffer.concat([PNG, Buffer.from(Array.from({ length: 600 * 1024 }, (_, i) => (i * 31 + 7) & 0xff))]))
  const attachment = decodeBody(Attachment, yield* send("POST", `/api/v1/tasks/${task.id}/attachments`, { token, form: uploadForm("scan.png", file) }))
  expect({ type: attachment.contentType, size: attachment.size }).toEqual({ type: "image/png", size: file.length })
  const [chunks] = yield* sql<{ readonly n: number; readonly total: number }>`
    SELECT count(*)::int AS n, sum(octet_length(data))::int AS total FROM attachment_chunks WHERE attachment_id = ${attachment.id}`
  expect(chunks).toEqual({ n: 3, total: file.length })
  const downloaded = yield* Effect.scoped(
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const path = `/api/v1/tasks/${task.id}/attachments/${attachment.id}/content`
      const response = yield* HttpClient.withScope(http).execute(HttpClientRequest.bearerToken(HttpClientRequest.get(path), token))
      return { type: response.headers["content-type"], bytes: Buffer.from(yield* response.arrayBuffer) }
    })
  )
  expect({ type: downloaded.type, same: downloaded.bytes.equals(file) }).toEqual({ type: "image/png", same: true })
  expect((yield* send("DELETE", `/api/v1/tasks/${task.id}`, { token })).status).toBe(204)
  const [left] = yield* sql<{ readonly chunks: number; readonly rows: number }>`
    SELECT (SELECT count(*)::int FROM attachment_chunks WHERE task_id = ${task.id}) AS chunks,
           (SELECT count(*)::int FROM attachments WHERE task_id = ${task.id}) AS rows`
  expect(left).toEqual({ chunks: 0, rows: 0 })
})

describe("the API on PGlite", () => {
  layer(apiOn(PgliteTest), { timeout: 60_000 })((it) => {
    it.effect("runs the walkthrough and holds WIP limits under concurrent moves", () => wipUnderConcurrency)
    it.effect("round-trips an attachment's bytes through bytea chunks, which go with their task", () => attachmentBytes)
  })
})

// On Postgres, the same concurrent moves into a full column are among the races of
// test/slow/Races.test.ts, which share one scratch database.
