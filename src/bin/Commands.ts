/**
 * What the commands do, loaded by `flowboard.ts` only when one runs: the application (layers,
 * services, SQL, HTTP) is most of the bundle, and `--help` or a mistyped option needs none of it.
 */
import { Console, Effect, Layer, Option, Schema } from "effect"
import { CreateKey, CreateUser } from "../domain/Requests.js"
import { UserService } from "../services/UserService.js"
import { AuditTrail } from "../audit/AuditTrail.js"
import { AppLive, ServerLive, StartLive, WorkerProcessLive } from "../../layers/Main.js"
import { lockedDataDir, migrationName, PgliteClientLive, PostgresClientLive, runMigrations } from "../repositories/sql/Database.js"
import { RuntimeMode } from "../config/AppConfig.js"
import { Refusal } from "./Refusal.js"

/**
 * Embedded mode: PGlite's data directory is locked by the process that has it open, usually a
 * running server. Say so, and what to do instead (`advice`), rather than print the lock's stack.
 */
const refuseWhenDataDirLocked =
  (advice: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Refusal, R> =>
    Effect.mapError(effect, (error) =>
      Option.match(lockedDataDir(error), {
        onNone: () => error,
        onSome: ({ dataDir, pid }) =>
          new Refusal({
            message: `The data directory ${dataDir} is in use by ${Option.match(pid, { onNone: () => "another process", onSome: (pid) => `process ${pid}` })} (a running Flowboard): ${advice}.`
          })
      })
    )

const whileServing = "stop it first, or set FLOWBOARD_DATA_DIR to another directory"

export const start = Layer.launch(StartLive).pipe(refuseWhenDataDirLocked(whileServing))
export const worker = Layer.launch(WorkerProcessLive).pipe(refuseWhenDataDirLocked(whileServing))
export const serve = Layer.launch(ServerLive).pipe(refuseWhenDataDirLocked(whileServing))

export const migrate = Effect.gen(function* () {
  const mode = yield* RuntimeMode
  const applied = yield* runMigrations.pipe(Effect.provide(mode === "production" ? PostgresClientLive : PgliteClientLive))
  yield* Console.log(applied.length === 0 ? "Nothing to migrate." : `Applied: ${applied.map(migrationName).join(", ")}`)
}).pipe(refuseWhenDataDirLocked("stop it first (a server applies its migrations when it starts)"))

export const keysCreate = ({ email, name, scopes }: { readonly email: string; readonly name: string; readonly scopes: string }) =>
  Effect.gen(function* () {
    const input = yield* Schema.decodeUnknown(CreateKey)({ name, scopes: scopes.split(",").map((s) => s.trim()) })
    const users = yield* UserService
    const issued = yield* users.issueKeyByEmail(email, input)
    yield* Console.log(`Key ${issued.key.id} for ${email} (scopes ${issued.key.scopes.join(", ")}):\n${issued.token}`)
  }).pipe(Effect.provide(AppLive), refuseWhenDataDirLocked("stop it first, or issue the key through its HTTP API (POST /api/v1/users/{userId}/keys)"))

export const usersCreate = ({ email, name, role }: { readonly email: string; readonly name: string; readonly role: "member" | "admin" }) =>
  Effect.gen(function* () {
    const input = yield* Schema.decodeUnknown(CreateUser)({ email, name, role })
    const users = yield* UserService
    const issued = yield* users.createUserWithKey(input)
    yield* Console.log(`User ${issued.user.id} <${issued.user.email}> (${issued.user.role}); API key, shown once:\n${issued.token}`)
  }).pipe(
    Effect.provide(AppLive),
    refuseWhenDataDirLocked("stop it first, or create the user through its HTTP API (POST /api/v1/users, then POST /api/v1/users/{userId}/keys)")
  )

/** Walks the audit trail's hash chain; a break is a refusal (exit 1) naming the first row that does not match. */
export const auditVerify = Effect.gen(function* () {
  const audit = yield* AuditTrail
  const report = yield* audit.verify
  if (report.problem !== null) {
    return yield* new Refusal({ message: `The audit trail is broken: ${report.problem}. ${report.rows} rows before it verified.` })
  }
  if (report.rows === 0) return yield* Console.log("The audit trail is empty.")
  const start = report.anchoredBy === "genesis" ? "from its start" : `from seq ${report.firstSeq} (older rows removed by retention, recorded by audit.pruned)`
  yield* Console.log(`The audit trail is intact: ${report.rows} rows ${start} to seq ${report.lastSeq}.\nHead hash: ${report.headHash}`)
}).pipe(Effect.provide(AppLive), refuseWhenDataDirLocked("stop it first, or verify through its HTTP API (GET /api/v1/admin/audit/verify)"))
