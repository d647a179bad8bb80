import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Schema } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Forbidden, InternalError, ServiceUnavailable, Unauthorized } from "../domain/Errors.js"

export class CurrentActor extends Context.Tag("flowboard/CurrentActor")<CurrentActor, Actor>() {}

/**
 * How authentication can fail: the key is refused (`401`), lacks the scope (`403`), or the keys
 * cannot be read (`503` while the database is away, `500` otherwise). A client drops a key it
 * was told is invalid, so a failure to look it up must never read as `401`.
 */
export const AuthenticationFailure = Schema.Union(Unauthorized, Forbidden, ServiceUnavailable, InternalError)

/**
 * `Authorization: Bearer fb_<prefix>_<secret>` on every /api/v1 route. Reads need the `read`
 * scope, every other method `write`; admin operations are checked by the services.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("flowboard/Authentication", {
  provides: CurrentActor,
  failure: AuthenticationFailure,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
