import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { Authentication } from "../api/Security.js"
import { hasScope } from "../domain/Actor.js"
import { Forbidden, Unauthorized } from "../domain/Errors.js"
import { noteUser } from "../observability/RequestStats.js"
import { AuthService } from "../services/AuthService.js"

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const auth = yield* AuthService
    return Authentication.of({
      bearer: (token) =>
        Effect.gen(function* () {
          const actor = yield* auth.authenticate(Redacted.value(token)).pipe(
            // A broken database must not read as "wrong key": log it and refuse as unavailable.
            Effect.catchTag("RepositoryError", (e) =>
              Effect.logError("authentication lookup failed", e.cause).pipe(
                Effect.zipRight(Effect.fail(new Unauthorized({ message: "authentication is unavailable, retry later" })))
              )
            )
          )
          const request = yield* HttpServerRequest.HttpServerRequest
          const needed = READ_METHODS.has(request.method) ? "read" : "write"
          if (!hasScope(actor, needed)) {
            return yield* new Forbidden({ message: `this key lacks the ${needed} scope` })
          }
          yield* Effect.annotateCurrentSpan("user.id", actor.user.id)
          yield* noteUser(actor.user.id)
          return actor
        }).pipe(Effect.withSpan("Authentication.bearer"))
    })
  })
)
