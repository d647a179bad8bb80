import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, ConfigProvider, Console, Effect, Either, Layer, Option } from "effect"
import { readFileSync } from "node:fs"
import { withSecretFiles } from "../config/SecretFiles.js"
import { LoggingLive } from "../observability/Logging.js"
import { Refusal } from "./Refusal.js"

/**
 * The commands' work, in its own module (a chunk of its own in the build), loaded when a
 * command runs: parsing the command line, `--help` and `--version` load none of the application.
 */
const commands = Effect.promise(() => import("./Commands.js"))

const start = Command.make("start", {}, () => Effect.flatMap(commands, (c) => c.start)).pipe(
  Command.withDescription("Run the API, the outbox relay and the event workers in one process")
)
const worker = Command.make("worker", {}, () => Effect.flatMap(commands, (c) => c.worker)).pipe(
  Command.withDescription("Run the outbox relay and the event workers, without HTTP")
)
const serve = Command.make("serve", {}, () => Effect.flatMap(commands, (c) => c.serve)).pipe(
  Command.withDescription("Run the HTTP API")
)

const migrate = Command.make("migrate", {}, () => Effect.flatMap(commands, (c) => c.migrate)).pipe(
  Command.withDescription("Apply pending database migrations")
)

const email = Options.text("email").pipe(Options.withDescription("The user's email"))

const keysCreate = Command.make(
  "create",
  {
    email,
    name: Options.text("name").pipe(Options.withDefault("cli")),
    scopes: Options.text("scopes").pipe(Options.withDefault("read,write"), Options.withDescription("Comma-separated: read, write, admin"))
  },
  (args) => Effect.flatMap(commands, (c) => c.keysCreate(args))
).pipe(Command.withDescription("Issue an API key to an existing user and print it once"))

const usersCreate = Command.make(
  "create",
  { email, name: Options.text("name"), role: Options.choice("role", ["member", "admin"]).pipe(Options.withDefault("member" as const)) },
  (args) => Effect.flatMap(commands, (c) => c.usersCreate(args))
).pipe(Command.withDescription("Create a user with a read/write key (admin users get an admin key)"))

const auditVerify = Command.make("verify", {}, () => Effect.flatMap(commands, (c) => c.auditVerify)).pipe(
  Command.withDescription("Walk the audit trail's hash chain and name the first row that does not match (exit 1)")
)

const keys = Command.make("keys").pipe(Command.withSubcommands([keysCreate]))
const users = Command.make("users").pipe(Command.withSubcommands([usersCreate]))
const audit = Command.make("audit").pipe(Command.withSubcommands([auditVerify]))
const flowboard = Command.make("flowboard").pipe(Command.withSubcommands([start, serve, worker, migrate, keys, users, audit]))

const cli = Command.run(flowboard, { name: "flowboard", version: "0.1.0" })

/** A refusal in one sentence on stderr; any other failure logged with its cause, as `runMain` would. */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  return Option.match(Option.filter(Cause.failureOption(cause), (error) => error instanceof Refusal), {
    onNone: () => Effect.logError(cause),
    onSome: (refusal) => Console.error(refusal.message)
  })
}

// Secrets given as files are read before anything else reads a setting; a mistake there stops
// the process with every problem named (exit 78, EX_CONFIG).
const environment = Either.getOrElse(withSecretFiles(process.env, (path) => readFileSync(path, "utf8")), (problems) => {
  process.stderr.write(`flowboard: the configuration cannot be used:\n${problems.map((p) => `  - ${p}\n`).join("")}`)
  return process.exit(78)
})

// Every command logs through the configured logger (JSON in production), not only `start`.
cli(process.argv).pipe(
  Effect.tapErrorCause(report),
  Effect.provide(Layer.merge(NodeContext.layer, LoggingLive)),
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(environment)), { pathDelim: "_", seqDelim: "," })),
  NodeRuntime.runMain({ disableErrorReporting: true })
)

