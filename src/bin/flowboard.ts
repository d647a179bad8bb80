import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Data, Effect, Layer, Option, Schema } from "effect"
import { CreateKey, CreateUser } from "../domain/Requests.js"
import { UserService } from "../services/UserService.js"
import { AppLive, ServerLive, StartLive, WorkerProcessLive } from "../../layers/Main.js"
import { lockedDataDir, migrationName, PgliteClientLive, PostgresClientLive, runMigrations } from "../repositories/sql/Database.js"
import { RuntimeMode } from "../config/AppConfig.js"
import { LoggingLive } from "../observability/Logging.js"

/** Something the user can act on: said in one sentence on stderr, without a stack trace; exit code 1. */
class Refusal extends Data.TaggedError("Refusal")<{ readonly message: string }> {}

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

const start = Command.make("start", {}, () => Layer.launch(StartLive).pipe(refuseWhenDataDirLocked(whileServing))).pipe(
  Command.withDescription("Run the API, the outbox relay and the event workers in one process")
)
const worker = Command.make("worker", {}, () => Layer.launch(WorkerProcessLive).pipe(refuseWhenDataDirLocked(whileServing))).pipe(
  Command.withDescription("Run the outbox relay and the event workers, without HTTP")
)
const serve = Command.make("serve", {}, () => Layer.launch(ServerLive).pipe(refuseWhenDataDirLocked(whileServing))).pipe(
  Command.withDescription("Run the HTTP API")
)

const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    const mode = yield* RuntimeMode
    const applied = yield* runMigrations.pipe(Effect.provide(mode === "production" ? PostgresClientLive : PgliteClientLive))
    yield* Console.log(applied.length === 0 ? "Nothing to migrate." : `Applied: ${applied.map(migrationName).join(", ")}`)
  }).pipe(refuseWhenDataDirLocked("stop it first (a server applies its migrations when it starts)"))
).pipe(Command.withDescription("Apply pending database migrations"))

const email = Options.text("email").pipe(Options.withDescription("The user's email"))

const keysCreate = Command.make(
  "create",
  {
    email,
    name: Options.text("name").pipe(Options.withDefault("cli")),
    scopes: Options.text("scopes").pipe(Options.withDefault("read,write"), Options.withDescription("Comma-separated: read, write, admin"))
  },
  ({ email, name, scopes }) =>
    Effect.gen(function* () {
      const input = yield* Schema.decodeUnknown(CreateKey)({ name, scopes: scopes.split(",").map((s) => s.trim()) })
      const users = yield* UserService
      const issued = yield* users.issueKeyByEmail(email, input)
      yield* Console.log(`Key ${issued.key.id} for ${email} (scopes ${issued.key.scopes.join(", ")}):\n${issued.token}`)
    }).pipe(Effect.provide(AppLive), refuseWhenDataDirLocked("stop it first, or issue the key through its HTTP API (POST /api/v1/users/{userId}/keys)"))
).pipe(Command.withDescription("Issue an API key to an existing user and print it once"))

const usersCreate = Command.make(
  "create",
  { email, name: Options.text("name"), role: Options.choice("role", ["member", "admin"]).pipe(Options.withDefault("member" as const)) },
  ({ email, name, role }) =>
    Effect.gen(function* () {
      const input = yield* Schema.decodeUnknown(CreateUser)({ email, name, role })
      const users = yield* UserService
      const issued = yield* users.createUserWithKey(input)
      yield* Console.log(`User ${issued.user.id} <${issued.user.email}> (${issued.user.role}); API key, shown once:\n${issued.token}`)
    }).pipe(
      Effect.provide(AppLive),
      refuseWhenDataDirLocked("stop it first, or create the user through its HTTP API (POST /api/v1/users, then POST /api/v1/users/{userId}/keys)")
    )
).pipe(Command.withDescription("Create a user with a read/write key (admin users get an admin key)"))

const keys = Command.make("keys").pipe(Command.withSubcommands([keysCreate]))
const users = Command.make("users").pipe(Command.withSubcommands([usersCreate]))
const flowboard = Command.make("flowboard").pipe(Command.withSubcommands([start, serve, worker, migrate, keys, users]))

const cli = Command.run(flowboard, { name: "flowboard", version: "0.1.0" })

/** A refusal in one sentence on stderr; any other failure logged with its cause, as `runMain` would. */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  return Option.match(Option.filter(Cause.failureOption(cause), (error) => error instanceof Refusal), {
    onNone: () => Effect.logError(cause),
    onSome: (refusal) => Console.error(refusal.message)
  })
}

// Every command logs through the configured logger (JSON in production), not only `start`.
cli(process.argv).pipe(
  Effect.tapErrorCause(report),
  Effect.provide(Layer.merge(NodeContext.layer, LoggingLive)),
  NodeRuntime.runMain({ disableErrorReporting: true })
)

