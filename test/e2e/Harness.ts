import { Headers, HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { expect } from "@effect/vitest"
import { Context, Effect, Layer, Option, Schema } from "effect"
import type { ApiKey, Column, Project, User } from "../../src/domain/Model.js"
import { AddMember, CreateKey, CreateProject, CreateUser } from "../../src/domain/Requests.js"
import { bootstrapAdmin, clientWithKey, TestApiLive } from "../support/TestApi.js"

/**
 * What the e2e suites share: the whole API over the in-memory layers, a cast of users with
 * their keys, and raw HTTP helpers that see statuses, headers and bodies as a client does.
 */
export type Client = Effect.Effect.Success<ReturnType<typeof clientWithKey>>

export interface Identity {
  readonly user: User
  /** A key with the `read` and `write` scopes (`admin` for the admin). */
  readonly token: string
  /** A key of the same user with only the `read` scope. */
  readonly readToken: string
  readonly readKey: ApiKey
  readonly client: Client
}

export interface Cast {
  readonly admin: Identity
  readonly owner: Identity
  readonly editor: Identity
  readonly viewer: Identity
  readonly outsider: Identity
}

export class Scene extends Context.Tag("e2e/Scene")<Scene, Cast>() {}

const keyFor = (admin: Client, user: User, scopes: ReadonlyArray<"read" | "write" | "admin">, name: string) =>
  admin.users.createKey({ path: { userId: user.id }, payload: new CreateKey({ name, scopes }) })

const identity = (admin: Client, user: User, scopes: ReadonlyArray<"read" | "write" | "admin">) =>
  Effect.gen(function* () {
    const main = yield* keyFor(admin, user, scopes, "main")
    const read = yield* keyFor(admin, user, ["read"], "read-only")
    const http = yield* HttpClient.HttpClient
    // Made on first use: building a typed client walks the whole API (about 20 ms), and most
    // identities of most scenes only ever send raw requests.
    let client: Client | undefined
    return {
      user,
      token: main.token,
      readToken: read.token,
      readKey: read.key,
      get client() {
        return (client ??= Effect.runSync(Effect.provideService(clientWithKey(main.token), HttpClient.HttpClient, http)))
      }
    } satisfies Identity
  })

/** The cast, created through the API of whatever stack is around (the in-memory one here, SQL for the contract fuzz). */
export const makeCast = Effect.gen(function* () {
  const bootstrapped = yield* bootstrapAdmin
  const adminClient = yield* clientWithKey(bootstrapped.token)
  const member = (name: string) =>
    Effect.flatMap(adminClient.users.createUser({ payload: new CreateUser({ email: `${name}@test.local`, name }) }), (user) =>
      identity(adminClient, user, ["read", "write"])
    )
  return {
    admin: yield* identity(adminClient, bootstrapped.user, ["admin"]),
    owner: yield* member("owner"),
    editor: yield* member("editor"),
    viewer: yield* member("viewer"),
    outsider: yield* member("outsider")
  } satisfies Cast
})

/** A fresh API with the cast already created; every build starts from an empty store. */
export const SceneLive = Layer.effect(Scene, Effect.orDie(makeCast)).pipe(Layer.provideMerge(TestApiLive))

export interface NewProject {
  readonly project: Project
  readonly columns: ReadonlyArray<Column>
}

/** A project owned by `owner`, with `editor` and `viewer` as members in those roles. */
export const makeProject = (cast: Cast, key: string) =>
  Effect.gen(function* () {
    const project = yield* cast.owner.client.projects.createProject({ payload: new CreateProject({ key, name: `Project ${key}` }) })
    yield* cast.owner.client.projects.addMember({ path: { projectId: project.id }, payload: new AddMember({ userId: cast.editor.user.id, role: "editor" }) })
    yield* cast.owner.client.projects.addMember({ path: { projectId: project.id }, payload: new AddMember({ userId: cast.viewer.user.id, role: "viewer" }) })
    const columns = yield* cast.owner.client.board.listColumns({ path: { projectId: project.id } })
    return { project, columns } satisfies NewProject
  }).pipe(Effect.orDie)

// ---- raw HTTP ------------------------------------------------------------------------------

export interface Reply {
  readonly status: number
  readonly headers: Headers.Headers
  /** The parsed JSON body; `null` when the body is empty. */
  readonly body: unknown
  readonly text: string
  readonly requestId: string | undefined
}

export interface SendOptions {
  readonly token?: string | undefined
  /** Sent as JSON. */
  readonly body?: unknown
  /** Sent as it is, labelled `contentType`: for bodies that are not JSON at all. */
  readonly rawBody?: string
  /** The type of `rawBody`; `application/json` unless given. */
  readonly contentType?: string
  /** Sent as `multipart/form-data` (an upload), its boundary chosen by the client. */
  readonly form?: FormData
  /** Sent as they are, labelled `contentType`: for bodies that are not text. */
  readonly bytes?: Uint8Array
  readonly headers?: Record<string, string>
}

const parseJson = Schema.decodeUnknownOption(Schema.parseJson())

export const send = (method: HttpMethod, path: string, options: SendOptions = {}) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(path)
    if (options.token !== undefined) request = HttpClientRequest.bearerToken(request, options.token)
    if (options.headers !== undefined) request = HttpClientRequest.setHeaders(request, options.headers)
    if (options.rawBody !== undefined) request = HttpClientRequest.bodyText(request, options.rawBody, options.contentType ?? "application/json")
    else if (options.body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, options.body)
    else if (options.form !== undefined) {
      // Encoded up front, with its length, as browsers and curl send a form: Node's client would
      // stream it chunked, which the server refuses (411) on a socket.
      const encoded = new Response(options.form)
      const bytes = new Uint8Array(yield* Effect.promise(() => encoded.arrayBuffer()))
      request = HttpClientRequest.bodyUint8Array(request, bytes, encoded.headers.get("content-type") ?? "multipart/form-data")
    }
    else if (options.bytes !== undefined) request = HttpClientRequest.bodyUint8Array(request, options.bytes, options.contentType ?? "application/octet-stream")
    const response = yield* HttpClient.withScope(http).execute(request)
    // An event stream does not end: its status and headers are the reply, and the scope hangs up.
    const streaming = Option.exists(Headers.get(response.headers, "content-type"), (type) => type.startsWith("text/event-stream"))
    const text = streaming ? "" : yield* response.text
    return {
      status: response.status,
      headers: response.headers,
      body: text === "" ? null : Option.getOrElse(parseJson(text), () => text),
      text,
      requestId: Option.getOrUndefined(Headers.get(response.headers, "x-request-id"))
    } satisfies Reply
  }).pipe(Effect.scoped, Effect.orDie)

export const get = (path: string, token?: string, headers?: Record<string, string>) =>
  send("GET", path, { token, ...(headers === undefined ? {} : { headers }) })

// ---- the error shape -------------------------------------------------------------------------

export const ErrorBody = Schema.Struct({
  _tag: Schema.String,
  message: Schema.String,
  status: Schema.Int,
  correlationId: Schema.String,
  issues: Schema.optional(Schema.Array(Schema.Struct({ path: Schema.Array(Schema.Union(Schema.String, Schema.Number)), message: Schema.String }))),
  resource: Schema.optional(Schema.String),
  id: Schema.optional(Schema.String)
})
export type ErrorBody = typeof ErrorBody.Type

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * What is wrong with an error reply, if anything: the one error shape is `_tag`, a non-empty
 * `message`, `status` equal to the HTTP status and `correlationId` equal to the `X-Request-Id`
 * header, and nothing that looks like a stack trace.
 */
export const shapeProblems = (reply: Reply): ReadonlyArray<string> => {
  const decoded = Schema.decodeUnknownEither(ErrorBody)(reply.body)
  if (decoded._tag === "Left") return [`not the error shape: ${reply.text.slice(0, 200)}`]
  const body = decoded.right
  const problems: Array<string> = []
  if (body.status !== reply.status) problems.push(`status ${body.status} in a ${reply.status} response`)
  if (body.message.trim() === "") problems.push("empty message")
  if (reply.requestId === undefined || body.correlationId !== reply.requestId) problems.push("correlationId is not the X-Request-Id")
  if (isRecord(reply.body) && ("stack" in reply.body || "cause" in reply.body)) problems.push("leaks a stack or cause")
  if (/\bat .+\.(ts|js):\d+/.test(reply.text)) problems.push("leaks a stack trace")
  return problems
}

/** The `message` of an error body, if it has one. */
export const messageOf = (reply: Reply): string | undefined =>
  isRecord(reply.body) && typeof reply.body.message === "string" ? reply.body.message : undefined

/** The status, `_tag` and shape problems of a reply: what the refusal sweeps compare, route by route. */
export const outcome = (reply: Reply) => ({
  status: reply.status,
  tag: isRecord(reply.body) ? reply.body._tag : undefined,
  problems: reply.status >= 400 ? shapeProblems(reply) : []
})

/** Asserts a reply is the given error in the one error shape, and returns its body. */
export const expectError = (reply: Reply, status: number, tag: string): ErrorBody => {
  expect(outcome(reply)).toEqual({ status, tag, problems: [] })
  return Schema.decodeUnknownSync(ErrorBody)(reply.body)
}

/** The body decoded with the schema of a success, failing the test with the body when it does not fit. */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>, reply: Reply): A => Schema.decodeUnknownSync(schema)(reply.body)

/**
 * All a member can read about a project, as raw JSON (the board holds the project, its columns
 * and every task; each task's comments and attachments): equal before and after means nothing changed.
 */
export const snapshot = (token: string, projectId: string) =>
  Effect.gen(function* () {
    const board = yield* get(`/api/v1/projects/${projectId}/board`, token)
    const members = yield* get(`/api/v1/projects/${projectId}/members`, token)
    expect([board.status, members.status]).toEqual([200, 200])
    const taskIds = decodeBody(BoardTaskIds, board).columns.flatMap((c) => c.tasks.map((t) => t.id))
    const comments = yield* Effect.forEach(taskIds, (id) => Effect.map(get(`/api/v1/tasks/${id}/comments?limit=200`, token), (r) => r.body))
    const attachments = yield* Effect.forEach(taskIds, (id) => Effect.map(get(`/api/v1/tasks/${id}/attachments?limit=200`, token), (r) => r.body))
    return { board: board.body, members: members.body, comments, attachments }
  })

/** Just enough of the board to read its order. */
export const BoardTaskIds = Schema.Struct({
  columns: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      name: Schema.String,
      taskCount: Schema.Int,
      tasks: Schema.Array(Schema.Struct({ id: Schema.String, rank: Schema.String, title: Schema.String }))
    })
  )
})

export const readBoard = (token: string, projectId: string) =>
  Effect.map(get(`/api/v1/projects/${projectId}/board`, token), (reply) => {
    expect(reply.status).toBe(200)
    return decodeBody(BoardTaskIds, reply)
  })
