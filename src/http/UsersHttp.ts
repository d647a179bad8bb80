import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../api/Api.js"
import { CurrentActor } from "../api/Security.js"
import { IssuedKey } from "../api/UsersApi.js"
import { DEFAULT_LIMIT } from "../domain/Page.js"
import { UserService } from "../services/UserService.js"
import { asActor, orInternal } from "./Errors.js"

export const UsersHttp = HttpApiBuilder.group(Api, "users", (handlers) =>
  Effect.gen(function* () {
    const users = yield* UserService
    return handlers
      .handle("me", () => Effect.map(CurrentActor, (actor) => actor.user))
      .handle("listUsers", ({ urlParams }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => users.listUsers(actor, { limit: urlParams.limit ?? DEFAULT_LIMIT, cursor: urlParams.cursor ?? null })),
          orInternal
        )
      )
      .handle("createUser", ({ payload }) => asActor((actor) => users.createUser(actor, payload)))
      .handle("getUser", ({ path }) => asActor((actor) => users.getUser(actor, path.userId)))
      .handle("listKeys", ({ path }) => asActor((actor) => users.listKeys(actor, path.userId)))
      .handle("createKey", ({ path, payload }) =>
        CurrentActor.pipe(
          Effect.flatMap((actor) => users.createKey(actor, path.userId, payload)),
          Effect.map((issued) => new IssuedKey(issued)),
          orInternal
        )
      )
      .handle("revokeKey", ({ path }) => asActor((actor) => users.revokeKey(actor, path.keyId)))
  })
)
