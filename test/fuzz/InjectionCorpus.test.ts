/**
 * The injection corpus: SQL, LIKE wildcards, markup and script, template and format strings,
 * header and CRLF injection, path traversal, odd Unicode, pushed through every string field of
 * every request body the contract takes, the search parameters, the request headers the server
 * reads, and the file name and parts of an upload. On the SQL adapters, over a real socket.
 *
 * For every request: no 5xx; a refusal (4xx) is in the error shape, leaks no SQL or stack, and
 * changes nothing (a digest of every table but the audit trail, which records refusals by
 * design); a success is JSON with `nosniff`, and a free-text field comes back exactly as sent,
 * so it was stored as data. The counts are printed at the end.
 */
import { Headers } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Logger, Option } from "effect"
import { connect } from "node:net"
import { type HttpClient, HttpServer } from "@effect/platform"
import { ServicesLive } from "../../layers/Services.js"
import { HttpAppLive } from "../../src/http/Server.js"
import { MigrationsTable } from "../../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { SqlReadiness } from "../../src/repositories/sql/SqlReadiness.js"
import { makeCast, type Reply, send, shapeProblems } from "../e2e/Harness.js"
import { type Fixture, makeFixture, refresh, type RouteRow, rows, urlOf } from "../e2e/Routes.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../support/Database.js"
import { PNG, TEXT, uploadForm } from "../support/Files.js"
import { digest, digestKey } from "../support/fuzz/World.js"
import { SocketTestServer } from "../support/TestApi.js"

const LIMIT = 64 * 1024

export const corpus: ReadonlyArray<readonly [family: string, payload: string]> = [
  ["sql", "' OR '1'='1"],
  ["sql", "'; DROP TABLE tasks; --"],
  ["sql", "\" OR \"\"=\""],
  ["sql", "1; SELECT pg_sleep(10)--"],
  ["sql", "' UNION SELECT id, email, NULL FROM users --"],
  ["sql", "$1 $2 ::text"],
  ["sql", "\\'; COMMIT; DELETE FROM projects; --"],
  ["sql", "E'\\x00'"],
  ["like", "%"],
  ["like", "_"],
  ["like", "%%_%_"],
  ["like", "\\%\\_"],
  ["like", "a%b_c"],
  ["markup", "<script>alert(document.cookie)</script>"],
  ["markup", "\"><img src=x onerror=alert(1)>"],
  ["markup", "<svg onload=alert(1)>"],
  ["markup", "javascript:alert(1)"],
  ["markup", "</textarea><iframe src=//evil.example>"],
  ["template", "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>"],
  ["format", "%s%s%s%n%x%d"],
  ["crlf", "line\r\nX-Injected: yes"],
  ["crlf", "\r\n\r\n<html>injected</html>"],
  ["crlf", "%0d%0aSet-Cookie:%20owned=1"],
  ["path", "../../etc/passwd"],
  ["path", "..\\..\\windows\\win.ini"],
  ["path", "/etc/shadow"],
  ["path", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
  ["json", "__proto__"],
  ["json", "{\"$ne\":null}"],
  ["unicode", "\u202eevil\u202c.txt"],
  ["unicode", "\u0000nul"],
  ["unicode", "a\ud800b"],
  ["unicode", "Ｚａｌｇｏ ̷̧̛͓̝ͅ t̶e̵x̷t̴ 🙂"],
  ["long", "x".repeat(10_000)]
]

/** Fields whose text the API stores and returns as given: they must come back exactly. */
const FREE_TEXT = new Set(["name", "title", "description", "body"])

class Corpus extends Context.Tag("fuzz/Corpus")<Corpus, { readonly fixture: Fixture; readonly tables: ReadonlyArray<string> }>() {}

const settings = new Map([
  // Thousands of requests from one key and one address within one (test) minute.
  ["RATE_LIMIT_READ", "1000000"],
  ["RATE_LIMIT_WRITE", "1000000"],
  ["RATE_LIMIT_EXPENSIVE", "1000000"],
  ["RATE_LIMIT_ANONYMOUS", "1000000"],
  ["AUTH_BLOCK_FAILURES", "1000000"],
  ["ATTACHMENT_MAX_BYTES", String(LIMIT)]
])

const CorpusLive = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.effect(
    Corpus,
    Effect.gen(function* () {
      const cast = yield* makeCast
      const fixture = yield* makeFixture(cast, "INJ")
      const sql = yield* SqlClient.SqlClient
      const tables = yield* sql<{ readonly tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ${MigrationsTable} AND tablename <> 'audit_events' ORDER BY tablename`
      return { fixture, tables: tables.map((t) => t.tablename) }
    }).pipe(Effect.orDie)
  ).pipe(
    Layer.provideMerge(
      HttpAppLive.pipe(
        Layer.provideMerge(Layer.mergeAll(ServicesLive, SqlReadiness("test")).pipe(Layer.provideMerge(SqlRepositoriesLive))),
        Layer.provideMerge(SocketTestServer),
        Layer.provideMerge(database)
      )
    ),
    Layer.provide(Logger.remove(Logger.defaultLogger)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(settings).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))))
  )

type Path = ReadonlyArray<string | number>

/** Every string in a JSON value, with where it is. */
const stringLeaves = (value: unknown, at: Path = []): ReadonlyArray<Path> => {
  if (typeof value === "string") return [at]
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...at, i]))
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...at, k]))
  return []
}
const replaced = (value: unknown, at: Path, by: string): unknown => {
  if (at.length === 0) return by
  const [head, ...rest] = at
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v))
  const record = value as Record<string, unknown>
  return { ...record, [String(head)]: replaced(record[String(head)], rest, by) }
}
const allStrings = (value: unknown): ReadonlyArray<string> => stringLeaves(value).map((path) => path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[String(k)], value) as string)

/** What a refusal or failure must never show a client (once the echoed payload is taken out of it). */
const LEAK = /SQLSTATE|syntax error at or near|relation "|violates|PGlite|postgres|\n\s+at [\w.<]+ \(|node_modules/i

interface Tally {
  requests: number
  accepted: number
  refused: number
  failures: Array<string>
}
const tally = (): Tally => ({ requests: 0, accepted: 0, refused: 0, failures: [] })

/** A lone surrogate has no UTF-8: sent as the bytes a careless client would send for it. */
const queryEncoded = (payload: string): string => {
  try {
    return encodeURIComponent(payload)
  } catch {
    return payload.split("").map((c) => (/[\ud800-\udfff]/.test(c) ? "%ED%A0%80" : encodeURIComponent(c))).join("")
  }
}

const header = (reply: Reply, name: string) => Option.getOrUndefined(Headers.get(reply.headers, name))

/** The checks every reply gets; `changed` says whether the database differs from before. */
const judge = (t: Tally, what: string, reply: Reply, changed: boolean, payload = "") => {
  t.requests += 1
  const fail = (why: string) => t.failures.push(`${what}: ${why} (${reply.status} ${reply.text.slice(0, 200)})`)
  if (reply.status >= 500) fail("5xx")
  if (reply.status >= 400) {
    t.refused += 1
    for (const problem of shapeProblems(reply)) fail(`error shape: ${problem}`)
    const echoed = payload === "" ? [] : [payload, JSON.stringify(payload).slice(1, -1)]
    if (LEAK.test(echoed.reduce((text, p) => text.split(p).join(""), reply.text))) fail("the refusal leaks internals")
    if (changed) fail("a refusal changed the database")
  } else {
    t.accepted += 1
    if (reply.text !== "" && !(header(reply, "content-type") ?? "").startsWith("application/json")) fail(`answered as ${header(reply, "content-type")}`)
  }
  if (header(reply, "x-content-type-options") !== "nosniff") fail("no nosniff")
  for (const [name] of Object.entries(reply.headers)) if (name.startsWith("x-injected") || name === "set-cookie") fail(`a header was injected: ${name}`)
}

const report = (name: string, t: Tally, extra = "") =>
  console.log(`${name}: ${t.requests} requests (${t.accepted} accepted, ${t.refused} refused), ${corpus.length} payloads${extra}, ${t.failures.length} failures`)

type CorpusIt = Vitest.MethodsNonLive<Corpus | SqlClient.SqlClient | HttpServer.HttpServer | HttpClient.HttpClient>

const suite = (it: CorpusIt) => {
  it.effect("every string field of every request body: stored as data or refused, never executed, never leaked", () =>
    Effect.gen(function* () {
      const { tables } = yield* Corpus
      let fixture = (yield* Corpus).fixture
      const t = tally()
      let fields = 0
      const writes = rows.filter((row): row is RouteRow & { readonly payload: NonNullable<RouteRow["payload"]> } => row.payload !== undefined)
      // The digest after one request is the next one's "before"; the fixture (versions) is read
      // again only after a success, the only kind of reply that changes it.
      let before = digestKey(yield* digest(tables))
      for (const route of writes) {
        for (const at of stringLeaves(route.payload(fixture))) {
          fields += 1
          for (const [family, payload] of corpus) {
            const token = route.adminOnly === true ? fixture.cast.admin.token : fixture.cast.owner.token
            const body = replaced(route.payload(fixture), at, payload)
            const reply = yield* send(route.method as HttpMethod, urlOf(fixture, route), { token, body })
            const after = digestKey(yield* digest(tables))
            const changed = after !== before
            before = after
            if (reply.status < 300) fixture = yield* refresh(fixture)
            const what = `${route.key} ${at.join(".")} ${family} ${JSON.stringify(payload.slice(0, 40))}`
            judge(t, what, reply, changed, payload)
            const field = at[at.length - 1]
            // 202 (a job accepted) echoes nothing yet.
            if ((reply.status === 200 || reply.status === 201) && typeof field === "string" && FREE_TEXT.has(field)) {
              const echoed = allStrings(reply.body)
              if (!echoed.includes(payload) && !echoed.includes(payload.trim().normalize("NFC"))) t.failures.push(`${what}: stored as something else`)
            }
          }
        }
      }
      report("body fields", t, `, ${fields} string fields of ${writes.length} routes`)
      expect(t.failures).toEqual([])
      expect(fields).toBeGreaterThan(15)
    }), 300_000)

  it.effect("search parameters: LIKE wildcards match themselves, and nothing else reaches the query", () =>
    Effect.gen(function* () {
      const { fixture } = yield* Corpus
      const token = fixture.cast.owner.token
      const t = tally()
      for (const [family, payload] of corpus) {
        for (const path of [`/api/v1/projects/${fixture.project.id}/tasks`, "/api/v1/projects"]) {
          const reply = yield* send("GET", `${path}?q=${queryEncoded(payload)}`, { token })
          judge(t, `GET ${path}?q ${family} ${JSON.stringify(payload.slice(0, 40))}`, reply, false, payload)
        }
      }
      // The first test stored tasks titled with the corpus: a wildcard finds only the titles that contain it.
      for (const wildcard of ["%", "_"]) {
        const found = yield* send("GET", `/api/v1/projects/${fixture.project.id}/tasks?q=${encodeURIComponent(wildcard)}&limit=200`, { token })
        const titles = (found.body as { readonly items: ReadonlyArray<{ readonly title: string }> }).items.map((task) => task.title)
        expect(titles.length).toBeGreaterThan(0)
        expect(titles.filter((title) => !title.includes(wildcard))).toEqual([])
      }
      report("search parameters", t)
      expect(t.failures).toEqual([])
    }))

  it.effect("request headers the server reads: no 5xx, nothing reflected unsafely, nothing injected", () =>
    Effect.gen(function* () {
      const { fixture, tables } = yield* Corpus
      const t = tally()
      // What a client can put in a header at all (Node refuses CR, LF and NUL before sending).
      const headerSafe = corpus.filter(([, payload]) => /^[\t\x20-\x7e]*$/.test(payload))
      const names = ["x-request-id", "traceparent", "tracestate", "x-forwarded-for", "user-agent", "accept", "accept-language", "if-none-match", "idempotency-key", "last-event-id", "authorization"]
      let before = digestKey(yield* digest(tables))
      for (const name of names) {
        for (const [family, payload] of headerSafe) {
          for (const [method, path, body] of [["GET", "/api/v1/me", undefined], ["POST", "/api/v1/projects", { key: "HDR", name: "headers" }]] as const) {
            const reply = yield* send(method, path, { token: fixture.cast.owner.token, headers: { [name]: payload }, ...(body === undefined ? {} : { body }) })
            const after = digestKey(yield* digest(tables))
            const changed = after !== before
            before = after
            // The one success that changes the database is the project made once; later ones conflict on its key.
            judge(t, `${method} ${path} ${name} ${family} ${JSON.stringify(payload.slice(0, 40))}`, reply, changed && reply.status >= 400, payload)
            const id = header(reply, "x-request-id") ?? ""
            if (!/^[\x21-\x7e]{1,128}$/.test(id) || /[<>"'\\]/.test(id)) t.failures.push(`${name} ${family}: X-Request-Id answered as ${JSON.stringify(id.slice(0, 60))}`)
          }
        }
      }
      // On the wire: a bare CR, an obsolete line fold, and an encoded CRLF in the target.
      const address = yield* Effect.map(HttpServer.HttpServer, (server) => server.address)
      const port = address._tag === "TcpAddress" ? address.port : 0
      const raw = (text: string) =>
        Effect.async<string>((resume) => {
          const socket = connect(port, "127.0.0.1", () => socket.end(text))
          let out = ""
          socket.on("data", (chunk) => (out += chunk.toString("latin1")))
          socket.on("close", () => resume(Effect.succeed(out)))
          socket.on("error", () => resume(Effect.succeed(out)))
          socket.setTimeout(5_000, () => socket.destroy())
        })
      for (const request of [
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rX-Injected: yes\r\nConnection: close\r\n\r\n",
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\r\n X-Injected: yes\r\nConnection: close\r\n\r\n",
        "GET /api/v1/me%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      ]) {
        const answer = yield* raw(request)
        t.requests += 1
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? "0")
        if (status < 400 || status >= 500) t.failures.push(`raw ${JSON.stringify(request.slice(0, 60))}: ${status}`)
        else t.refused += 1
        if (/\r\nx-injected:/i.test(answer.split("\r\n\r\n")[0] ?? "")) t.failures.push(`raw ${JSON.stringify(request.slice(0, 60))}: a header was injected`)
      }
      report("headers", t, `, ${names.length} headers, ${headerSafe.length} of the payloads sendable in a header, 3 raw requests`)
      expect(t.failures).toEqual([])
    }), 300_000)

  it.effect("uploads: hostile file names are made harmless, oversized and odd parts are refused, downloads cannot run", () =>
    Effect.gen(function* () {
      const { fixture, tables } = yield* Corpus
      const token = fixture.cast.owner.token
      const uploads = `/api/v1/tasks/${fixture.task.id}/attachments`
      const t = tally()
      const uploadAndJudge = (what: string, form: FormData) =>
        Effect.gen(function* () {
          const before = digestKey(yield* digest(tables))
          const reply = yield* send("POST", uploads, { token, form })
          judge(t, what, reply, digestKey(yield* digest(tables)) !== before)
          return reply
        })
      for (const [family, payload] of corpus) {
        for (const name of [payload, `${payload}.txt`]) {
          const reply = yield* uploadAndJudge(`file name ${family} ${JSON.stringify(name.slice(0, 40))}`, uploadForm(name, TEXT))
          if (reply.status !== 201) continue
          const stored = reply.body as { readonly id: string; readonly filename: string }
          // eslint-disable-next-line no-control-regex
          if (/[/\\\x00-\x1f\x7f\u202e]/.test(stored.filename) || stored.filename.length === 0 || stored.filename.length > 255) t.failures.push(`${family}: stored as ${JSON.stringify(stored.filename)}`)
          const download = yield* send("GET", `${uploads}/${stored.id}/content`, { token })
          t.requests += 1
          const disposition = header(download, "content-disposition") ?? ""
          if (!/^attachment; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]+$/.test(disposition)) t.failures.push(`${family}: Content-Disposition ${JSON.stringify(disposition)}`)
          if (!(header(download, "content-security-policy") ?? "").includes("sandbox")) t.failures.push(`${family}: download without a sandbox CSP`)
          if (!(header(download, "content-type") ?? "").startsWith("text/plain")) t.failures.push(`${family}: download typed ${header(download, "content-type")}`)
          yield* send("DELETE", `${uploads}/${stored.id}`, { token })
        }
      }
      // A part one byte over the limit; a thousand parts; markup claiming to be a picture; a picture under another field.
      const over = new FormData()
      over.append("file", new Blob([new Uint8Array(LIMIT + 1).fill(0x61)]), "big.txt")
      const many = new FormData()
      for (let i = 0; i < 1000; i++) many.append(`f${i}`, "x")
      many.append("file", new Blob([TEXT]), "notes.txt")
      const disguised = uploadForm("cat.png", new TextEncoder().encode("<html><script>alert(1)</script></html>"), { claimedType: "image/png" })
      const elsewhere = uploadForm("cat.png", PNG, { field: "upload" })
      const expectations: ReadonlyArray<readonly [string, FormData, number]> = [["oversized part", over, 413], ["many parts", many, 400], ["markup named .png", disguised, 415], ["no part named file", elsewhere, 400]]
      for (const [what, form, status] of expectations) {
        const reply = yield* uploadAndJudge(what, form)
        if (reply.status !== status) t.failures.push(`${what}: ${reply.status}, expected ${status}`)
      }
      report("uploads", t, ", each as a file name and with .txt, plus 4 malformed uploads")
      expect(t.failures).toEqual([])
    }), 300_000)
}

describe("the injection corpus", () => {
  layer(CorpusLive(PgliteTest), { timeout: 120_000 })("on PGlite", (it) => suite(it))
})
describe.skipIf(skipPostgres)("the injection corpus", () => {
  layer(CorpusLive(PostgresTest), { timeout: 120_000 })("on Postgres", (it) => suite(it))
})
