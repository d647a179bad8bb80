import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Schema } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Forbidden, Unauthorized } from "../domain/Errors.js"

export class CurrentActor extends Context.Tag("flowboard/CurrentActor")<CurrentActor, Actor>() {}

/**
 * `Authorization: Bearer fb_<prefix>_<secret>` on every /api/v1 route. Reads need the `read`
 * scope, every other method `write`; admin operations are checked by the services.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("flowboard/Authentication", {
  provides: CurrentActor,
  failure: Schema.Union(Unauthorized, Forbidden),
  security: { bearer: HttpApiSecurity.bearer }
}) {}
