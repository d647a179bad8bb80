import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { makeScratchDatabase, skipPostgres } from "../support/Database.js"
import { spawnFlowboard } from "./Processes.js"

/** `flowboard audit verify` as an operator runs it: the compiled CLI against a real Postgres. */
describe.skipIf(skipPostgres)("flowboard audit verify", () => {
  it.live("says the trail is intact, then names the row changed behind the triggers' back and exits 1", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const run = (args: ReadonlyArray<string>) =>
        Effect.flatMap(spawnFlowboard(args, { DATABASE_URL: url }), (child) =>
          Effect.map(child.exited.pipe(Effect.timeout("60 seconds")), (exited) => ({ code: exited.code, out: child.stdout(), err: child.stderr() }))
        )
      expect((yield* run(["users", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"])).code).toBe(0)
      const intact = yield* run(["audit", "verify"])
      expect(intact.code).toBe(0)
      // The user and its key: two entries, from the start of the trail.
      expect(intact.out).toMatch(/The audit trail is intact: 2 rows from its start to seq 2\.\nHead hash: [0-9a-f]{64}/)

      const sql = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 })
      yield* sql.withTransaction(
        Effect.zipRight(sql`SET LOCAL session_replication_role = replica`, sql`UPDATE audit_events SET details = '{"after":{"role":"member"}}'::jsonb WHERE seq = 1`)
      )
      const broken = yield* run(["audit", "verify"])
      expect(broken.code).toBe(1)
      expect(broken.err).toMatch(/The audit trail is broken: row seq 1 \(id [0-9a-f-]+, user\.created\): its content does not match its hash/)
    }).pipe(Effect.scoped, Effect.provide(Reactivity.layer)))
})
