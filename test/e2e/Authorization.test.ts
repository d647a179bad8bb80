import { describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Context, DateTime, Duration, Effect, Layer, Option, Schema, TestClock } from "effect"
import { uuidv7 } from "../../src/domain/Ids.js"
import { CreateKey } from "../../src/domain/Requests.js"
import { decodeBody, ErrorBody, expectError, get, makeProject, messageOf, outcome, type Reply, Scene, SceneLive, send, snapshot } from "./Harness.js"
import {
  contractRoutes,
  type EndpointKey,
  type Fixture,
  impliedAccess,
  isRead,
  makeFixture,
  refresh,
  type Route,
  type RouteRow,
  routes,
  rows,
  urlOf
} from "./Routes.js"

/** The authorisation fixture plus keys of the owner that no longer work. */
interface World extends Fixture {
  readonly revokedToken: string
  readonly expiredToken: string
}
class WorldTag extends Context.Tag("e2e/AuthorizationWorld")<WorldTag, World>() {}

const WorldLive = Layer.effect(
  WorldTag,
  Effect.gen(function* () {
    const cast = yield* Scene
    const fixture = yield* makeFixture(cast, "AUTH")
    const owner = cast.owner
    const revoked = yield* owner.client.users.createKey({ path: { userId: owner.user.id }, payload: new CreateKey({ name: "old", scopes: ["read", "write"] }) })
    yield* owner.client.users.revokeKey({ path: { keyId: revoked.key.id } })
    // Expiry is checked against the clock: the test clock ages the key without any waiting.
    const expiresAt = DateTime.addDuration(yield* DateTime.now, Duration.seconds(1))
    const expired = yield* owner.client.users.createKey({
      path: { userId: owner.user.id },
      payload: new CreateKey({ name: "short-lived", scopes: ["read", "write"], expiresAt })
    })
    // Seconds, not minutes: the clock drives the app's polling loops too, once per interval passed.
    yield* TestClock.adjust(Duration.seconds(2))
    return { ...fixture, revokedToken: revoked.token, expiredToken: expired.token } satisfies World
  }).pipe(Effect.orDie)
).pipe(
  Layer.provideMerge(SceneLive),
  // These suites send hundreds of wrong keys from one address to see each refused alike; the
  // block that would follow is the subject of test/e2e/RateLimits.test.ts.
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["AUTH_BLOCK_FAILURES", "1000000"]])).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))))
)

const label = (route: RouteRow) => `${route.method} ${route.path} (${route.key})`

const call = (f: Fixture, route: Route, auth: { readonly token?: string; readonly headers?: Record<string, string> }, ids: Record<string, string> = {}) =>
  send(route.method, urlOf(f, route, ids), { ...auth, body: route.payload?.(f), ...(route.form === undefined ? {} : { form: route.form(f) }) })

/** Everything the refused requests could have touched: the project, and the owner's keys and the users. */
const worldState = (w: World) =>
  Effect.gen(function* () {
    const project = yield* snapshot(w.cast.owner.token, w.project.id)
    const keys = yield* get(`/api/v1/users/${w.cast.owner.user.id}/keys`, w.cast.owner.token)
    const users = yield* get(`/api/v1/users?limit=200`, w.cast.admin.token)
    // `lastUsedAt` moves whenever a key is used at all; it is not a change made by the request.
    const keyRows = decodeBody(Schema.Array(Schema.Struct({ id: Schema.String, revokedAt: Schema.NullOr(Schema.String) })), keys)
    return { project, keys: keyRows, users: users.body }
  })

/** One row per route: label, then what came back. A mismatch shows every offending route at once. */
const sweep = <A, R>(targets: ReadonlyArray<RouteRow>, run: (route: RouteRow) => Effect.Effect<Reply, never, R>, expected: (route: RouteRow) => A) =>
  Effect.gen(function* () {
    const actual: Array<{ readonly route: string; readonly outcome: unknown }> = []
    for (const route of targets) actual.push({ route: label(route), outcome: yield* Effect.map(run(route), outcome) })
    expect(actual).toEqual(targets.map((route) => ({ route: label(route), outcome: expected(route) })))
  })

/** An error body without its correlation id: what a caller is told. */
const told = (text: string) =>
  Option.map(Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))(text), ({ correlationId: _, ...body }) => body).pipe(Option.getOrElse(() => text))

const scoped = rows.filter((r) => r.access === "project" || r.access === "task")
const authenticated = rows.filter((r) => r.access !== "public")
const writes = authenticated.filter((r) => !isRead(r))

describe("the route table", () => {
  it("names every endpoint of the contract, with its method, path and access", () => {
    const byKey = (a: { readonly key: string }, b: { readonly key: string }) => a.key.localeCompare(b.key)
    const fromContract = contractRoutes().map((c) => ({ key: c.key, method: c.method, path: c.path, access: impliedAccess(c) }))
    const fromTable = rows.map((r) => ({ key: r.key, method: r.method, path: r.path, access: r.access }))
    expect([...fromTable].sort(byKey)).toEqual([...fromContract].sort(byKey))
  })
})

layer(WorldLive)("refusals", (it) => {
  it.effect("a non-member gets 404 NotFound from every project and task route, exactly as for a missing one, and nothing changes", () =>
    Effect.gen(function* () {
      const w = yield* WorldTag
      const before = yield* snapshot(w.cast.owner.token, w.project.id)
      const actual: Array<unknown> = []
      const expected: Array<unknown> = []
      for (const route of scoped) {
        const resource = route.access === "task" ? "task" : "project"
        const id = route.access === "task" ? w.task.id : w.project.id
        const ghostId = uuidv7()
        const refused = yield* call(w, route, { token: w.cast.outsider.token })
        // A member asking for an id that does not exist must be told the same, in the same words.
        const missing = yield* call(w, route, { token: w.cast.owner.token }, { [`${resource}Id`]: ghostId })
        actual.push({ route: label(route), ...outcome(refused), told: told(refused.text), missing: told(missing.text.replaceAll(ghostId, id)) })
        const notFound = { _tag: "NotFound", status: 404, resource, id, message: `${resource} ${id} not found` }
        expected.push({ route: label(route), status: 404, tag: "NotFound", problems: [], told: notFound, missing: notFound })
      }
      expect(actual).toEqual(expected)
      expect(yield* snapshot(w.cast.owner.token, w.project.id)).toEqual(before)
    })
  )

  it.effect("a non-member does not find the project in listings", () =>
    Effect.gen(function* () {
      const w = yield* WorldTag
      expect((yield* get(`/api/v1/projects?limit=200`, w.cast.outsider.token)).body).toEqual({ items: [], nextCursor: null })
      expect(JSON.stringify((yield* get(`/api/v1/projects?limit=200`, w.cast.viewer.token)).body)).toContain(w.project.id)
    })
  )

  it.effect("a key with only the read scope gets 403 Forbidden from every non-GET route, and nothing changes", () =>
    Effect.gen(function* () {
      const w = yield* WorldTag
      const before = yield* worldState(w)
      // The owner's (for admin routes, the admin's) read key: only the scope stands in the way.
      const readKey = (route: Route) => (route.adminOnly === true ? w.cast.admin.readToken : w.cast.owner.readToken)
      yield* sweep(writes, (route) => call(w, route, { token: readKey(route) }), () => ({ status: 403, tag: "Forbidden", problems: [] }))
      const refused = yield* call(w, routes["tasks.createTask"], { token: w.cast.owner.readToken })
      expect(expectError(refused, 403, "Forbidden").message).toBe("this key lacks the write scope")
      expect(yield* worldState(w)).toEqual(before)
    })
  )

  it.effect("a key with only the read scope reads every GET route it is entitled to", () =>
    Effect.flatMap(WorldTag, (w) =>
      sweep(
        authenticated.filter((r) => isRead(r) && r.adminOnly !== true),
        (route) => call(w, route, { token: w.cast.owner.readToken }),
        () => ({ status: 200, tag: undefined, problems: [] })
      )
    )
  )

  it.effect("no key, a malformed key or a revoked key gets 401 Unauthorized from every authenticated route, and nothing changes", () =>
    Effect.gen(function* () {
      const w = yield* WorldTag
      const before = yield* worldState(w)
      const unauthorized = { status: 401, tag: "Unauthorized", problems: [] }
      yield* sweep(authenticated, (route) => call(w, route, {}), () => unauthorized)
      yield* sweep(authenticated, (route) => call(w, route, { headers: { authorization: "Bearer not-a-key" } }), () => unauthorized)
      yield* sweep(authenticated, (route) => call(w, route, { token: w.revokedToken }), () => unauthorized)
      expect(yield* worldState(w)).toEqual(before)
    })
  )

  it.effect("every kind of bad credential gets the same 401, on reads and writes alike", () =>
    Effect.gen(function* () {
      const w = yield* WorldTag
      const token = w.cast.owner.token
      const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")
      const credentials: ReadonlyArray<readonly [string, Record<string, string>]> = [
        ["no Authorization header", {}],
        ["an empty bearer token", { authorization: "Bearer " }],
        ["a malformed token", { authorization: "Bearer not-a-key" }],
        ["another scheme", { authorization: `Basic ${Buffer.from("owner:secret").toString("base64")}` }],
        ["the token without its scheme", { authorization: token }],
        ["a well-formed unknown key", { authorization: `Bearer fb_000000000000_${"A".repeat(43)}` }],
        ["a known prefix with a wrong secret", { authorization: `Bearer ${tampered}` }],
        ["a revoked key", { authorization: `Bearer ${w.revokedToken}` }],
        ["an expired key", { authorization: `Bearer ${w.expiredToken}` }]
      ]
      for (const route of [routes["board.getBoard"], routes["tasks.updateTask"]]) {
        for (const [what, headers] of credentials) {
          const reply = yield* call(w, route, { headers })
          // One answer for every refusal: a caller cannot tell a revoked key from a made-up one.
          expect({ what, ...outcome(reply), message: messageOf(reply), challenge: reply.headers["www-authenticate"] }).toEqual({
            what,
            status: 401,
            tag: "Unauthorized",
            problems: [],
            message: "invalid, expired or revoked API key",
            challenge: 'Bearer realm="flowboard"'
          })
        }
      }
      expect((yield* call(w, routes["board.getBoard"], { token })).status).toBe(200)
    })
  )

  it.effect("the health probes need no key", () =>
    sweep(rows.filter((r) => r.access === "public"), (route) => send(route.method, route.path), () => ({ status: 200, tag: undefined, problems: [] }))
  )
})

// ---- roles within a project, and administration ------------------------------------------------

type Role = "viewer" | "editor" | "owner"

/** What each member role gets from representative routes. A member may know the project exists: 403. */
const roleMatrix: ReadonlyArray<readonly [EndpointKey, Readonly<Record<Role, number>>]> = [
  ["board.getBoard", { viewer: 200, editor: 200, owner: 200 }],
  ["tasks.listComments", { viewer: 200, editor: 200, owner: 200 }],
  ["tasks.createTask", { viewer: 403, editor: 201, owner: 201 }],
  ["tasks.updateTask", { viewer: 403, editor: 200, owner: 200 }],
  ["tasks.moveTask", { viewer: 403, editor: 200, owner: 200 }],
  ["tasks.addComment", { viewer: 403, editor: 201, owner: 201 }],
  ["attachments.uploadAttachment", { viewer: 403, editor: 201, owner: 201 }],
  ["webhooks.listWebhooks", { viewer: 403, editor: 403, owner: 200 }],
  ["webhooks.createWebhook", { viewer: 403, editor: 403, owner: 201 }],
  ["attachments.downloadAttachment", { viewer: 200, editor: 200, owner: 200 }],
  ["board.createColumn", { viewer: 403, editor: 201, owner: 201 }],
  ["board.updateColumn", { viewer: 403, editor: 200, owner: 200 }],
  // The project itself (name, description, status, deletion) and its membership are the owner's.
  ["projects.updateProject", { viewer: 403, editor: 403, owner: 200 }],
  ["projects.moveProject", { viewer: 403, editor: 403, owner: 200 }],
  ["projects.addMember", { viewer: 403, editor: 403, owner: 201 }],
  // Last: these change who is who.
  ["projects.updateMember", { viewer: 403, editor: 403, owner: 200 }],
  ["projects.deleteProject", { viewer: 403, editor: 403, owner: 204 }]
]

layer(SceneLive)("the table's requests, roles and administration", (it) => {
  // The refusals above only mean something if the very same requests work for someone entitled
  // to them. Reads first, then writes, then deletes: the comment before its task, the project last.
  const phase = (r: RouteRow) =>
    r.key === "projects.deleteProject" ? 4 : r.key === "tasks.deleteTask" ? 3 : r.method === "DELETE" ? 2 : isRead(r) ? 0 : 1
  it.effect("succeed for the project owner (the admin on admin-only routes) with the documented status", () =>
    Effect.gen(function* () {
      let world = yield* makeFixture(yield* Scene, "CTRL")
      const ordered = [...rows].sort((a, b) => phase(a) - phase(b))
      const actual: Array<{ readonly route: string; readonly status: number; readonly error: unknown }> = []
      for (const route of ordered) {
        const token = route.access === "public" ? undefined : route.adminOnly === true ? world.cast.admin.token : world.cast.owner.token
        const reply = yield* call(world, route, token === undefined ? {} : { token })
        actual.push({ route: label(route), status: reply.status, error: reply.status >= 400 ? reply.body : null })
        // Versions and columns move with every write that succeeds.
        if (!isRead(route) && reply.status < 300 && route.key !== "projects.deleteProject") world = yield* refresh(world)
      }
      expect(actual).toEqual(ordered.map((route) => ({ route: label(route), status: route.status, error: null })))
    })
  )

  it.effect("viewers read, editors change tasks and columns, owners manage the project and its members", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      let world = yield* makeFixture(cast, "ROLES")
      const actual: Array<{ readonly route: string; readonly role: Role; readonly status: number; readonly problems: ReadonlyArray<string> }> = []
      for (const [key, _] of roleMatrix) {
        const route = routes[key]
        for (const role of ["viewer", "editor", "owner"] as const) {
          const reply = yield* call(world, route, { token: cast[role].token })
          if (!isRead(route) && reply.status < 300 && key !== "projects.deleteProject") world = yield* refresh(world)
          const o = outcome(reply)
          const wrongReason = reply.status === 403 && !/needs the (editor|owner) role/.test(messageOf(reply) ?? "")
          actual.push({ route: `${route.method} ${route.path}`, role, status: o.status, problems: wrongReason ? [...o.problems, "not a role refusal"] : o.problems })
        }
      }
      expect(actual).toEqual(
        roleMatrix.flatMap(([key, expected]) =>
          (["viewer", "editor", "owner"] as const).map((role) => ({ route: `${routes[key].method} ${routes[key].path}`, role, status: expected[role], problems: [] }))
        )
      )
    })
  )

  it.effect("comments are deleted by their author or an owner, not by another editor", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const w = yield* makeFixture(cast, "CMNT")
      const path = `/api/v1/tasks/${w.task.id}/comments/${w.comment.id}`
      expect((yield* send("PATCH", `/api/v1/projects/${w.project.id}/members/${cast.viewer.user.id}`, { token: cast.owner.token, body: { role: "editor" } })).status).toBe(200)
      expectError(yield* send("DELETE", path, { token: cast.viewer.token }), 403, "Forbidden")
      expect((yield* send("DELETE", path, { token: cast.owner.token })).status).toBe(204)
      const own = yield* send("POST", `/api/v1/tasks/${w.task.id}/comments`, { token: cast.editor.token, body: { body: "mine" } })
      const ownId = decodeBody(Schema.Struct({ id: Schema.String }), own).id
      expect((yield* send("DELETE", `/api/v1/tasks/${w.task.id}/comments/${ownId}`, { token: cast.editor.token })).status).toBe(204)
      expect((yield* get(`/api/v1/tasks/${w.task.id}/comments`, cast.owner.token)).body).toEqual({ items: [], nextCursor: null })
    })
  )

  it.effect("any member may leave; removing others is the owner's; the last owner stays", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const { project } = yield* makeProject(cast, "LEAVE")
      const member = (userId: string) => `/api/v1/projects/${project.id}/members/${userId}`
      expectError(yield* send("DELETE", member(cast.viewer.user.id), { token: cast.editor.token }), 403, "Forbidden")
      expect((yield* send("DELETE", member(cast.viewer.user.id), { token: cast.viewer.token })).status).toBe(204)
      // Gone: to the former member the project no longer exists.
      expectError(yield* get(`/api/v1/projects/${project.id}`, cast.viewer.token), 404, "NotFound")
      expectError(yield* send("DELETE", member(cast.owner.user.id), { token: cast.owner.token }), 409, "Conflict")
      expectError(yield* send("PATCH", member(cast.owner.user.id), { token: cast.owner.token, body: { role: "editor" } }), 409, "Conflict")
    })
  )

  it.effect("creating and listing users needs an admin user holding a key with the admin scope", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const newcomer = { email: "intruder@test.local", name: "Intruder" }
      for (const token of [cast.editor.token, cast.owner.token]) {
        expectError(yield* send("POST", "/api/v1/users", { token, body: newcomer }), 403, "Forbidden")
        expectError(yield* get("/api/v1/users", token), 403, "Forbidden")
      }
      // The admin's read-only key is not enough: the scope is part of being an admin.
      expectError(yield* get("/api/v1/users", cast.admin.readToken), 403, "Forbidden")
      const Emails = Schema.Struct({ items: Schema.Array(Schema.Struct({ email: Schema.String })) })
      expect(decodeBody(Emails, yield* get("/api/v1/users?limit=200", cast.admin.token)).items.map((u) => u.email)).not.toContain(newcomer.email)
      expect((yield* send("POST", "/api/v1/users", { token: cast.admin.token, body: newcomer })).status).toBe(201)
    })
  )

  it.effect("users see and manage their own keys only; admins anyone's", () =>
    Effect.gen(function* () {
      const cast = yield* Scene
      const other = cast.viewer.user.id
      expectError(yield* get(`/api/v1/users/${other}`, cast.editor.token), 403, "Forbidden")
      expectError(yield* get(`/api/v1/users/${other}/keys`, cast.editor.token), 403, "Forbidden")
      expectError(yield* send("POST", `/api/v1/users/${other}/keys`, { token: cast.editor.token, body: { name: "x", scopes: ["read"] } }), 403, "Forbidden")
      // Someone else's key is as invisible as a missing one.
      expect(expectError(yield* send("DELETE", `/api/v1/keys/${cast.viewer.readKey.id}`, { token: cast.editor.token }), 404, "NotFound")).toMatchObject({ resource: "key" })
      expect((yield* get("/api/v1/me", cast.viewer.readToken)).status).toBe(200)
      // A key cannot grant more than the key that creates it.
      const escalate = yield* send("POST", `/api/v1/users/${cast.editor.user.id}/keys`, { token: cast.editor.token, body: { name: "x", scopes: ["admin"] } })
      expect(expectError(escalate, 400, "ValidationError").issues?.[0]?.path).toEqual(["scopes"])
      expect((yield* get(`/api/v1/users/${other}/keys`, cast.admin.token)).status).toBe(200)
      expect((yield* send("DELETE", `/api/v1/keys/${cast.viewer.readKey.id}`, { token: cast.admin.token })).status).toBe(200)
      expectError(yield* get("/api/v1/me", cast.viewer.readToken), 401, "Unauthorized")
    })
  )
})
