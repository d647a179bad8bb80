import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { Authentication } from "../api/Security.js"
import { hasScope, isAdmin } from "../domain/Actor.js"
import { Forbidden } from "../domain/Errors.js"
import { noteAuthenticationFailure, noteUser } from "../observability/RequestStats.js"
import { AuthService } from "../services/AuthService.js"
import { orInternal } from "./Errors.js"

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const auth = yield* AuthService
    return Authentication.of({
      bearer: (token) =>
        Effect.gen(function* () {
          // A key that cannot be looked up is not a wrong key: `503` (transient) or `500`, never `401`,
          // or clients would throw valid keys away during a database outage.
          const actor = yield* orInternal(auth.authenticate(Redacted.value(token))).pipe(
            // No key at all is no guess: only a key presented and refused counts toward a block.
            Effect.tapErrorTag("Unauthorized", () => (Redacted.value(token) === "" ? Effect.void : noteAuthenticationFailure))
          )
          // Known before the scope is checked: a refusal is logged and audited with who it was.
          yield* Effect.annotateCurrentSpan("user.id", actor.user.id)
          yield* noteUser(actor.user.id, isAdmin(actor))
          const request = yield* HttpServerRequest.HttpServerRequest
          const needed = READ_METHODS.has(request.method) ? "read" : "write"
          if (!hasScope(actor, needed)) {
            return yield* new Forbidden({ message: `this key lacks the ${needed} scope` })
          }
          return actor
        }).pipe(Effect.withSpan("Authentication.bearer", { captureStackTrace: false }))
    })
  })
)
