import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Logger } from "effect"
import { ServicesLive } from "../../../layers/Services.js"
import { uuidv7 } from "../../../src/domain/Ids.js"
import { CreateKey } from "../../../src/domain/Requests.js"
import { HttpAppLive } from "../../../src/http/Server.js"
import { MigrationsTable } from "../../../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { SqlReadiness } from "../../../src/repositories/sql/SqlReadiness.js"
import { makeCast } from "../../e2e/Harness.js"
import { makeFixture } from "../../e2e/Routes.js"
import { HttpTestServer } from "../TestApi.js"
import type { RefKind } from "./Json.js"
import type { Caller } from "./Plans.js"

/**
 * The world the fuzzer's requests land in: the whole HTTP app over the SQL adapters (as
 * test/integration/ApiOnSql.test.ts), a cast of callers and a project with members, columns,
 * tasks, a comment, an attachment, a job and a dead letter, so that requests reach deep code. `SqlClient` is
 * an output: the fuzzer reads the rows to pick ids and to tell whether a refusal changed any.
 */
export const apiOnSql = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  HttpAppLive.pipe(
    Layer.provideMerge(Layer.mergeAll(ServicesLive, SqlReadiness("test")).pipe(Layer.provideMerge(SqlRepositoriesLive))),
    Layer.provideMerge(HttpTestServer),
    Layer.provideMerge(database)
  )

export interface WorldShape {
  /** The `Authorization` header each caller sends, if any. */
  readonly authorization: Readonly<Record<Caller, string | undefined>>
  /** The callers' own keys: never handed out as a key to revoke, or the run would lock itself out. */
  readonly callerKeys: ReadonlySet<string>
  /** The user behind each caller, if any. */
  readonly users: Readonly<Partial<Record<Caller, string>>>
  /** Every application table: what the digest covers. */
  readonly tables: ReadonlyArray<string>
  /**
   * Another project like the fixture's (owner, editor and viewer as members, columns, tasks, a
   * comment, a job): when deletes have left the owner with too little to reach deep code.
   */
  readonly replenish: Effect.Effect<void>
}

export class World extends Context.Tag("fuzz/World")<World, WorldShape>() {}

const prefixOf = (token: string): string => token.split("_")[1] ?? ""

const makeWorld = Effect.gen(function* () {
  const cast = yield* makeCast
  const fixture = () => makeFixture(cast, `F${uuidv7().replaceAll("-", "").slice(-8).toUpperCase()}`)
  const context = yield* Effect.context<Effect.Effect.Context<ReturnType<typeof fixture>>>()
  yield* fixture()
  const revoked = yield* cast.admin.client.users.createKey({ path: { userId: cast.owner.user.id }, payload: new CreateKey({ name: "revoked", scopes: ["read", "write"] }) })
  yield* cast.admin.client.users.revokeKey({ path: { keyId: revoked.key.id } })
  // One key nobody calls with: something to revoke for a run that picks an existing key.
  yield* cast.admin.client.users.createKey({ path: { userId: cast.outsider.user.id }, payload: new CreateKey({ name: "spare", scopes: ["read"] }) })
  const bearer = (token: string) => `Bearer ${token}`
  const authorization: Record<Caller, string | undefined> = {
    owner: bearer(cast.owner.token),
    ownerReadOnly: bearer(cast.owner.readToken),
    admin: bearer(cast.admin.token),
    editor: bearer(cast.editor.token),
    viewer: bearer(cast.viewer.token),
    outsider: bearer(cast.outsider.token),
    anonymous: undefined,
    revokedKey: bearer(revoked.token),
    unknownKey: bearer(`fb_000000000000_${"A".repeat(43)}`),
    malformedKey: "Bearer not-a-key",
    basicAuth: "Basic b3duZXI6c2VjcmV0"
  }
  const sql = yield* SqlClient.SqlClient
  const prefixes = [cast.owner, cast.admin, cast.editor, cast.viewer, cast.outsider].flatMap((i) => [prefixOf(i.token), prefixOf(i.readToken)])
  const keys = yield* sql<{ readonly id: string }>`SELECT id::text AS id FROM api_keys WHERE ${sql.in("prefix", prefixes)}`
  // Not the audit trail: a refused request is recorded there by design (auth.failed, access.denied).
  const tables = yield* sql<{ readonly tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ${MigrationsTable} AND tablename <> 'audit_events' ORDER BY tablename`
  return {
    authorization,
    users: { owner: cast.owner.user.id, ownerReadOnly: cast.owner.user.id, admin: cast.admin.user.id, editor: cast.editor.user.id, viewer: cast.viewer.user.id, outsider: cast.outsider.user.id, revokedKey: cast.owner.user.id },
    callerKeys: new Set(keys.map((k) => k.id)),
    tables: tables.map((t) => t.tablename),
    replenish: Effect.asVoid(Effect.provide(Effect.suspend(fixture), context))
  } satisfies WorldShape
}).pipe(Effect.orDie)

/** Without log lines: thousands of requests would print thousands of access lines. */
export const WorldLive = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.effect(World, makeWorld).pipe(Layer.provideMerge(apiOnSql(database)), Layer.provide(Logger.remove(Logger.defaultLogger)))

// ---- rows ------------------------------------------------------------------------------------

export interface Row {
  readonly id: string
  /** The project of a column, task or membership; the task of a comment; the user of a key. */
  readonly parent: string | null
  /** Of a project or a task: what an update must carry. */
  readonly version: number | null
}
export type Pools = ReadonlyMap<RefKind, ReadonlyArray<Row>>

/** Whether the owner still has two projects with tasks in them: otherwise most requests stop at a 404. */
export const deepEnough = (world: WorldShape, pools: Pools): boolean => {
  const owned = new Set((pools.get("member") ?? []).filter((m) => m.id === world.users.owner).map((m) => m.parent))
  const withTasks = new Set((pools.get("task") ?? []).filter((t) => owned.has(t.parent)).map((t) => t.parent))
  return withTasks.size >= 2
}

/** The ids requests may name, by kind, in id order. */
export const loadPools = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ readonly kind: RefKind; readonly id: string; readonly parent: string | null; readonly version: number | null }>`
    SELECT 'user' AS kind, id::text AS id, NULL AS parent, NULL::int AS version FROM users
    UNION ALL SELECT 'member', user_id::text, project_id::text, NULL FROM project_members
    UNION ALL SELECT 'key', id::text, user_id::text, NULL FROM api_keys
    UNION ALL SELECT 'project', id::text, NULL, version FROM projects
    UNION ALL SELECT 'column', id::text, project_id::text, NULL FROM board_columns
    UNION ALL SELECT 'task', id::text, project_id::text, version FROM tasks
    UNION ALL SELECT 'comment', id::text, task_id::text, NULL FROM comments
    UNION ALL SELECT 'attachment', id::text, task_id::text, NULL FROM attachments
    UNION ALL SELECT 'job', id::text, NULL, NULL FROM jobs
    UNION ALL SELECT 'deadLetter', id::text, NULL, NULL FROM dead_letters
    UNION ALL SELECT 'event', id::text, NULL, NULL FROM outbox
    ORDER BY 1, 2`
  const pools = new Map<RefKind, Array<Row>>()
  for (const row of rows) pools.set(row.kind, [...(pools.get(row.kind) ?? []), { id: row.id, parent: row.parent, version: row.version }])
  return pools satisfies Pools
}).pipe(Effect.orDie)

// ---- digest ----------------------------------------------------------------------------------

/** Per table: its row count and an md5 over its rows (as text, sorted). */
export type Digest = ReadonlyMap<string, string>

/**
 * What a refusal must leave as it was. `api_keys.last_used_at` is left out: authentication
 * writes it (at most once a minute per key) on every request, refused or not. A row's text is
 * its record's (`t::text`, the cheapest); only `api_keys` goes through JSON to drop the column.
 */
export const digest = (tables: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const query = tables
      .map((table) => {
        const row = table === "api_keys" ? `(to_jsonb(t) - 'last_used_at')::text` : "t::text"
        return `SELECT '${table}' AS name, count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS digest FROM (SELECT ${row} AS r FROM "${table}" t) s`
      })
      .join(" UNION ALL ")
    const rows = yield* sql.unsafe<{ readonly name: string; readonly digest: string }>(query)
    return new Map(rows.map((r) => [r.name, r.digest])) satisfies Digest
  }).pipe(Effect.orDie)

/** One string for a digest: equal strings, equal databases. */
export const digestKey = (d: Digest): string => [...d].map(([t, v]) => `${t}=${v}`).join(",")

/** The tables whose digest differs, with their row counts before and after. */
export const changedTables = (before: Digest, after: Digest): ReadonlyArray<string> =>
  [...new Set([...before.keys(), ...after.keys()])].flatMap((table) => {
    const [b, a] = [before.get(table), after.get(table)]
    return b === a ? [] : [`${table} (rows ${b?.split(":")[0] ?? "?"} → ${a?.split(":")[0] ?? "?"})`]
  })
