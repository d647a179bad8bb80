import { Console, Effect, Layer, Option } from "effect"
import { BootstrapConfig, HttpConfig } from "../config/AppConfig.js"
import { UserService } from "../services/UserService.js"

/**
 * First start on an empty database: create an admin and print its key, once. The key is shown
 * on stdout (not in the structured log) because it is a secret meant for the operator's eyes.
 */
export const BootstrapLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const { adminEmail } = yield* BootstrapConfig
    const { port } = yield* HttpConfig
    const users = yield* UserService
    const created = yield* users.bootstrap(adminEmail)
    if (Option.isSome(created)) {
      yield* Console.log(
        [
          "",
          "  Flowboard created the first admin user: " + created.value.user.email,
          "  Its API key (shown only now, store it somewhere safe):",
          "",
          "    " + created.value.token,
          "",
          `  Try: curl -H 'Authorization: Bearer <key>' http://localhost:${port}/api/v1/me`,
          ""
        ].join("\n")
      )
    }
  }).pipe(Effect.withSpan("Bootstrap"))
)

