import { describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Metric } from "effect"
import { TestLive } from "../../layers/Test.js"
import { AuditTrail } from "../../src/audit/AuditTrail.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { securityEvents } from "../../src/security/SecurityEvents.js"
import { bootstrapAdmin, HttpTestServer } from "../support/TestApi.js"
import { expectError, get, type Reply, send } from "./Harness.js"

const App = HttpAppLive.pipe(
  Layer.provideMerge(TestLive),
  Layer.provideMerge(HttpTestServer),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["AUTH_BLOCK_FAILURES", "2"]])).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))))
)

/** The first admin, made once per application (bootstrap works on an empty store only). */
class Admin extends Context.Tag("e2e/AuditAdmin")<Admin, Effect.Effect.Success<typeof bootstrapAdmin>>() {}
const AppWithAdmin = Layer.effect(Admin, Effect.orDie(bootstrapAdmin)).pipe(Layer.provideMerge(App))

interface Row {
  readonly seq: number
  readonly action: string
  readonly actorUserId: string | null
  readonly actorKeyId: string | null
  readonly actorAddress: string | null
  readonly targetType: string
  readonly targetId: string | null
  readonly outcome: string
  readonly correlationId: string | null
  readonly details: Record<string, unknown>
  readonly hash: string
}
interface Listed {
  readonly items: ReadonlyArray<Row>
  readonly nextCursor: string | null
}
const listed = (reply: Reply) => {
  expect(reply.status).toBe(200)
  return reply.body as Listed
}
const admin = Admin
const body = <A>(reply: Reply) => reply.body as A

describe("audit trail", () => {
  layer(AppWithAdmin)("through the API", (it) => {
    it.effect("records key, user, membership and project changes with who, from where, the request's correlation id, and what changed", () =>
      Effect.gen(function* () {
        const { token, user: me } = yield* admin
        const adminActions = Effect.map(Metric.value(Metric.tagged(securityEvents, "kind", "admin_action")), (state) => state.count)
        const actionsBefore = yield* adminActions
        const created = yield* send("POST", "/api/v1/users", { token, body: { email: "audited@example.com", name: "Audited", role: "member" } })
        const userId = body<{ readonly id: string }>(created).id
        const issued = yield* send("POST", `/api/v1/users/${userId}/keys`, { token, body: { name: "ci", scopes: ["read"] } })
        const keyId = body<{ readonly key: { readonly id: string } }>(issued).key.id
        const revoked = yield* send("DELETE", `/api/v1/keys/${keyId}`, { token })
        const project = body<{ readonly id: string; readonly version: number }>(yield* send("POST", "/api/v1/projects", { token, body: { key: "AUD", name: "audited" } }))
        yield* send("POST", `/api/v1/projects/${project.id}/members`, { token, body: { userId, role: "viewer" } })
        yield* send("PATCH", `/api/v1/projects/${project.id}/members/${userId}`, { token, body: { role: "editor" } })
        yield* send("DELETE", `/api/v1/projects/${project.id}/members/${userId}`, { token })
        const archived = yield* send("POST", `/api/v1/projects/${project.id}/move`, { token, body: { version: project.version, status: "archived" } })
        expect(archived.status).toBe(200)
        yield* send("DELETE", `/api/v1/projects/${project.id}`, { token })
        // A refused change leaves no entry: the user exists already.
        expect((yield* send("POST", "/api/v1/users", { token, body: { email: "audited@example.com", name: "Again", role: "member" } })).status).toBe(409)

        const rows = listed(yield* get(`/api/v1/admin/audit?actor=${me.id}`, token)).items
        expect(rows.map((row) => row.action).reverse()).toEqual([
          "user.created", "apikey.issued", "apikey.revoked", "member.added", "member.updated", "member.removed", "project.archived", "project.deleted"
        ])
        const [deleted, archivedRow, , updated, , revokedRow, issuedRow, userRow] = rows
        expect(userRow).toMatchObject({ targetType: "user", targetId: userId, outcome: "success", actorKeyId: expect.any(String), actorAddress: expect.any(String), correlationId: created.requestId, details: { after: { email: "audited@example.com", role: "member" } } })
        expect(issuedRow).toMatchObject({ targetType: "apikey", targetId: keyId, details: { after: { userId, scopes: ["read"] } } })
        // The secret is never on the record, only the prefix that names the key.
        expect(JSON.stringify(rows)).not.toContain(body<{ readonly token: string }>(issued).token)
        expect(revokedRow).toMatchObject({ correlationId: revoked.requestId, targetId: keyId })
        expect(updated).toMatchObject({ targetType: "project", targetId: project.id, details: { after: { userId, role: "editor" } } })
        expect(archivedRow).toMatchObject({ details: { before: { status: "planning" }, after: { status: "archived" } } })
        expect(deleted).toMatchObject({ targetId: project.id, details: { after: { key: "AUD" } } })
        // Each entry is also counted as a security event.
        expect((yield* adminActions) - actionsBefore).toBe(rows.length)
      }))

    it.effect("records failed authentications and the block they cause (outside any transaction), and denied requests", () =>
      Effect.gen(function* () {
        const { token } = yield* admin
        // A read-only key trying to write: denied, with who it was.
        const me = body<{ readonly id: string }>(yield* get("/api/v1/me", token))
        const readOnly = body<{ readonly token: string }>(yield* send("POST", `/api/v1/users/${me.id}/keys`, { token, body: { name: "ro", scopes: ["read"] } })).token
        expect((yield* send("POST", "/api/v1/projects", { token: readOnly, body: { key: "NOPE", name: "denied" } })).status).toBe(403)
        // Three wrong secrets for one prefix: the third is past AUTH_BLOCK_FAILURES=2 and blocks the address and the prefix.
        const guess = `fb_abcdef012345_${"x".repeat(43)}`
        for (let i = 0; i < 3; i++) expect((yield* get("/api/v1/me", guess)).status).toBe(401)
        const audit = yield* AuditTrail
        yield* audit.flush
        const rows = yield* audit.list({ actor: null, action: null, targetType: null, targetId: null, since: null, until: null }, { limit: 10, before: null })
        const security = rows.filter((row) => row.action.startsWith("auth.") || row.action === "access.denied").reverse()
        expect(security.map((row) => row.action)).toEqual(["access.denied", "auth.failed", "auth.failed", "auth.failed", "auth.blocked", "auth.blocked"])
        expect(security[0]).toMatchObject({ outcome: "denied", actorUserId: me.id, targetType: "route", targetId: "POST /api/v1/projects" })
        expect(security[1]).toMatchObject({ targetType: "apikey", targetId: "abcdef012345", outcome: "failure", actorUserId: null, actorAddress: expect.any(String), details: { route: "GET /api/v1/me" } })
        expect(security.slice(4).map((row) => `${row.targetType}:${row.targetId}`).sort()).toEqual([`address:${security[1]!.actorAddress}`, "apikey:abcdef012345"])
        expect(security[4]).toMatchObject({ details: { durationSeconds: 60, strikes: 1 } })
      }))
  })

  layer(AppWithAdmin)("reading it", (it) => {
    it.effect("pages newest first with a cursor, filters by action prefix, exports NDJSON oldest first (itself audited), and verifies", () =>
      Effect.gen(function* () {
        const { token, user } = yield* admin
        for (let i = 0; i < 5; i++) yield* send("POST", `/api/v1/users/${user.id}/keys`, { token, body: { name: `k${i}`, scopes: ["read"] } })
        const first = listed(yield* get("/api/v1/admin/audit?action=apikey.*&limit=2", token))
        const second = listed(yield* get(`/api/v1/admin/audit?action=apikey.*&limit=2&cursor=${first.nextCursor}`, token))
        const third = listed(yield* get(`/api/v1/admin/audit?action=apikey.*&limit=2&cursor=${second.nextCursor}`, token))
        const pages = [...first.items, ...second.items, ...third.items]
        // The bootstrap key and five more.
        expect(pages.map((row) => row.seq)).toEqual([...pages.map((row) => row.seq)].sort((a, b) => b - a))
        expect(pages).toHaveLength(6)
        expect(third.nextCursor).toBeNull()

        const exported = yield* get("/api/v1/admin/audit/export?action=apikey.issued", token)
        expect(exported.status).toBe(200)
        expect(exported.headers["content-type"]).toMatch(/^application\/x-ndjson/)
        const lines = exported.text.trimEnd().split("\n").map((line) => JSON.parse(line) as Row)
        expect(lines.map((row) => row.seq)).toEqual(pages.map((row) => row.seq).reverse())
        expect(lines[0]).toMatchObject({ action: "apikey.issued", occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
        const [exportRow] = listed(yield* get("/api/v1/admin/audit?action=audit.exported", token)).items
        expect(exportRow).toMatchObject({ actorUserId: user.id, details: { filters: { action: "apikey.issued" } } })

        const verified = yield* get("/api/v1/admin/audit/verify", token)
        expect(verified.body).toMatchObject({ intact: true, problem: null, anchoredBy: "genesis", firstSeq: 1, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) })
      }))

    it.effect("bad filters are a 400 naming the parameter", () =>
      Effect.gen(function* () {
        const { token } = yield* admin
        expect(expectError(yield* get("/api/v1/admin/audit?action=DROP%20TABLE", token), 400, "ValidationError").issues).toEqual([expect.objectContaining({ path: ["action"] })])
        expect(expectError(yield* get("/api/v1/admin/audit?since=yesterday", token), 400, "ValidationError").issues).toEqual([expect.objectContaining({ path: ["since"] })])
        expect(expectError(yield* get("/api/v1/admin/audit?cursor=bm90LWEtY3Vyc29y", token), 400, "ValidationError").message).toMatch(/cursor/)
      }))
  })
})
