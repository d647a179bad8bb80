import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { AuditTrail } from "../../../src/audit/AuditTrail.js"
import { pruneAuditTrail } from "../../../src/audit/AuditTrail.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { Transactor } from "../../../src/repositories/Transactor.js"
import { AuditRepository } from "../../../src/repositories/AuditRepository.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../../support/Database.js"

const onEngine = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  AuditTrail.Default.pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provideMerge(database))
type It = Vitest.MethodsNonLive<AuditTrail | AuditRepository | Transactor | SqlClient.SqlClient>

const entry = (n: number) => ({ action: "member.updated", targetType: "project", targetId: `p-${n}`, details: { after: { role: n % 2 === 0 ? "editor" : "viewer" } } })

/** What a superuser who bypasses the triggers can do: the chain is what catches it. */
const asSuperuser = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(
      Effect.zipRight(sql`SET LOCAL session_replication_role = replica`, effect)
    )
  )

const refusals = (it: It) => {
  it.effect("a plain UPDATE, DELETE or TRUNCATE of audit_events fails, and changes nothing", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const audit = yield* AuditTrail
      yield* audit.record(null, [entry(1), entry(2)])
      const before = yield* sql`SELECT * FROM audit_events ORDER BY seq`
      for (const statement of [
        sql`UPDATE audit_events SET outcome = 'failure'`,
        sql`UPDATE audit_events SET details = '{}'::jsonb WHERE seq = 1`,
        sql`DELETE FROM audit_events`,
        sql`DELETE FROM audit_events WHERE seq = 2`,
        sql`TRUNCATE audit_events`
      ]) {
        const failure = yield* Effect.flip(statement)
        expect(String(failure.cause)).toMatch(/audit_events is append-only: (UPDATE|DELETE|TRUNCATE) refused/)
      }
      expect(yield* sql`SELECT * FROM audit_events ORDER BY seq`).toStrictEqual(before)
      // Retention's permission lasts for its own transaction only.
      yield* Effect.flatMap(Transactor, (tx) => tx.transaction(Effect.flatMap(AuditRepository, (r) => r.prune(DateTime.unsafeMake(0), 10))))
      expect(String((yield* Effect.flip(sql`DELETE FROM audit_events`)).cause)).toMatch(/append-only: DELETE refused/)
    }))

  it.effect("verify passes an intact chain, and names the first row that was changed or removed behind the triggers' back", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const audit = yield* AuditTrail
      yield* audit.record(null, [3, 4, 5, 6, 7].map(entry))
      const intact = yield* audit.verify
      expect(intact).toMatchObject({ problem: null, anchoredBy: "genesis", firstSeq: 1 })
      const head = intact.lastSeq!
      // Promote a member after the fact.
      yield* asSuperuser(sql`UPDATE audit_events SET details = '{"after":{"role":"owner"}}'::jsonb WHERE seq = ${head - 2}`)
      expect((yield* audit.verify).problem).toMatch(new RegExp(`^row seq ${head - 2} \\(id [0-9a-f-]+, member.updated\\): its content does not match its hash`))
      // Put the content back (the chain holds again) and remove a row instead: the gap is named.
      yield* asSuperuser(sql`UPDATE audit_events SET details = ${JSON.stringify(entry(head - 2).details)}::jsonb WHERE seq = ${head - 2}`)
      expect((yield* audit.verify).problem).toBeNull()
      yield* asSuperuser(sql`DELETE FROM audit_events WHERE seq = ${head - 1}`)
      expect((yield* audit.verify).problem).toMatch(new RegExp(`^row seq ${head} .*expected seq ${head - 1}; the rows between are missing`))
    }))
}

const retention = (it: It) => {
  it.effect("retention removes old rows, records what it removed, and the rest still verifies from that record", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const audit = yield* AuditTrail
      // Written under the test clock, at 1970: all older than a cutoff of now.
      yield* audit.record(null, [1, 2, 3].map(entry))
      const deleted = yield* pruneAuditTrail(DateTime.unsafeMake(Date.now()), 1)
      // Never the newest, nor the audit.pruned rows it writes (as old as the rest here): two of three
      // go, one batch (and one audit.pruned row) each.
      expect(deleted).toBe(2)
      const report = yield* audit.verify
      expect(report).toMatchObject({ problem: null, anchoredBy: "retention", firstSeq: 3, rows: 3 })
      const pruned = yield* audit.list({ actor: null, action: "audit.pruned", targetType: null, targetId: null, since: null, until: null }, { limit: 10, before: null })
      expect(pruned.map((row) => row.details["throughSeq"])).toEqual([2, 1])
      // Forging the record does not help: the first remaining row no longer links to it.
      yield* asSuperuser(sql`DELETE FROM audit_events WHERE seq = 3`)
      expect((yield* audit.verify).problem).toMatch(/rows 1 to 3 are missing and no audit.pruned entry records their removal|is not the hash of the last pruned row/)
    }))
}

layer(onEngine(PgliteTest))("audit trail on PGlite", (it) => {
  refusals(it)
})
layer(onEngine(PgliteTest))("audit retention on PGlite", (it) => {
  retention(it)
})

describe.skipIf(skipPostgres)("Postgres", () => {
  layer(onEngine(PostgresTest))("audit trail on Postgres", (it) => {
    // First, while the chain is whole (the refusals below tamper with it).
    it.effect("twenty units of work appending at once make one gap-free chain that verifies", () =>
      Effect.gen(function* () {
        const audit = yield* AuditTrail
        const tx = yield* Transactor
        const before = yield* audit.verify
        yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => tx.transaction(audit.record(null, [entry(100 + i), entry(200 + i)])), { concurrency: "unbounded" })
        const after = yield* audit.verify
        expect(after.problem).toBeNull()
        expect(after.rows - before.rows).toBe(40)
      }))
    refusals(it)
  })
})
