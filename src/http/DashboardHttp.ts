import { HttpApiBuilder, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Option, Schema } from "effect"
import type { Actor } from "../domain/Actor.js"
import { noteAuthenticationFailure } from "../observability/RequestStats.js"
import { DashboardSessions } from "../security/DashboardSessions.js"
import { loadAssets } from "./dashboard/Assets.js"
import { makeSnapshots } from "./dashboard/Stream.js"

const COOKIE = "fb_dashboard"
const COOKIE_PATH = "/dashboard"
const BEARER = /^Bearer\s+(\S+)$/i

type Access =
  | { readonly _tag: "Admin"; readonly actor: Actor; readonly lifetime: Duration.Duration }
  | { readonly _tag: "Anonymous"; readonly staleCookie: boolean }
  | { readonly _tag: "Refused"; readonly status: 401 | 403 | 503; readonly message: string }

const refusal = (status: 401 | 403 | 503, message: string) =>
  HttpServerResponse.unsafeJson({ _tag: status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "ServiceUnavailable", message }, { status })

const LoginForm = Schema.Struct({ key: Schema.String.pipe(Schema.maxLength(200)) })

/** Cookies are `Secure` when the request came over HTTPS (directly or through a proxy that says so). */
const isHttps = (request: HttpServerRequest.HttpServerRequest) => request.headers["x-forwarded-proto"] === "https"

/**
 * A cross-site form cannot post here: browsers say where a request comes from in
 * `Sec-Fetch-Site`, and send `Origin` on POST (the pages' `same-origin` referrer policy keeps
 * it from being `null`); either, when present, must name this site.
 */
const sameOrigin = (request: HttpServerRequest.HttpServerRequest) => {
  const site = request.headers["sec-fetch-site"]
  if (site !== undefined && site !== "same-origin" && site !== "none") return false
  const origin = request.headers["origin"]
  if (origin === undefined) return true
  try {
    return new URL(origin).host === request.headers["host"]
  } catch {
    return false
  }
}

const redirect = (location: string) => HttpServerResponse.redirect(location, { status: 303, headers: { "cache-control": "no-store" } })

/**
 * `/dashboard`: the operators' status page, its assets, its event stream and its sign-in.
 * Admins only: a session cookie from the sign-in form (the key is checked once and never
 * stored) or `Authorization: Bearer <admin key>`. Anonymous visitors get the sign-in page;
 * a valid key without the admin role gets 403.
 */
export const DashboardHttp = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const sessions = yield* DashboardSessions
    const assets = yield* loadAssets
    const snapshots = yield* makeSnapshots

    const access = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Access> => {
      const bearer = BEARER.exec(request.headers["authorization"] ?? "")
      if (bearer !== null) {
        return sessions.authenticate(bearer[1]!).pipe(
          Effect.map((actor): Access => ({ _tag: "Admin", actor, lifetime: Duration.infinity })),
          Effect.catchTags({
            Unauthorized: (e) => Effect.as(noteAuthenticationFailure, { _tag: "Refused", status: 401, message: e.message } as const),
            Forbidden: (e) => Effect.succeed<Access>({ _tag: "Refused", status: 403, message: e.message }),
            RepositoryError: (e) =>
              Effect.as(Effect.logError("dashboard authentication failed", e.message), { _tag: "Refused", status: 503, message: "retry later" } as const)
          })
        )
      }
      const cookie = request.cookies[COOKIE]
      if (cookie === undefined) return Effect.succeed({ _tag: "Anonymous", staleCookie: false })
      return sessions.actorFor(cookie).pipe(
        Effect.flatMap((found) => Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (now) => ({ found, now }))),
        Effect.map(({ found, now }): Access =>
          Option.match(found, {
            onNone: () => ({ _tag: "Anonymous", staleCookie: true }),
            onSome: ({ actor, expiresAt }) => ({ _tag: "Admin", actor, lifetime: Duration.millis(Math.max(0, expiresAt - now)) })
          })
        ),
        Effect.catchTag("RepositoryError", (e) =>
          Effect.as(Effect.logError("dashboard session check failed", e.message), { _tag: "Refused", status: 503, message: "retry later" } as const)
        )
      )
    }

    const clearCookie = (response: HttpServerResponse.HttpServerResponse) =>
      HttpServerResponse.expireCookie(response, COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "strict" })

    yield* router.get(
      "/dashboard",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const who = yield* access(request)
        switch (who._tag) {
          case "Admin":
            return assets.dashboardPage
          case "Refused":
            return refusal(who.status, who.message)
          case "Anonymous": {
            const code = new URL(request.url, "http://local").searchParams.get("error") ?? (who.staleCookie ? "expired" : undefined)
            const page = assets.loginPage(code ?? undefined)
            return who.staleCookie ? clearCookie(page) : page
          }
        }
      })
    )

    yield* router.get(
      "/dashboard/stream",
      Effect.gen(function* () {
        const who = yield* access(yield* HttpServerRequest.HttpServerRequest)
        if (who._tag === "Admin") return snapshots.response(who.lifetime)
        return who._tag === "Refused" ? refusal(who.status, who.message) : refusal(401, "sign in to the dashboard first")
      })
    )

    yield* router.get(
      "/dashboard/assets/:name",
      Effect.gen(function* () {
        const { name } = yield* HttpRouter.params
        return (name === undefined ? undefined : assets.asset(name)) ?? HttpServerResponse.empty({ status: 404 })
      })
    )

    yield* router.post(
      "/dashboard/login",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!sameOrigin(request)) return refusal(403, "cross-site sign-in refused")
        const form = yield* Effect.option(HttpServerRequest.schemaBodyUrlParams(LoginForm))
        if (Option.isNone(form)) return redirect("/dashboard?error=invalid")
        return yield* sessions.signIn(form.value.key.trim()).pipe(
          Effect.flatMap(({ id, maxAge }) =>
            HttpServerResponse.setCookie(redirect("/dashboard"), COOKIE, id, {
              path: COOKIE_PATH,
              httpOnly: true,
              sameSite: "strict",
              secure: isHttps(request),
              maxAge
            })
          ),
          Effect.catchTags({
            Unauthorized: () => Effect.as(noteAuthenticationFailure, redirect("/dashboard?error=invalid")),
            Forbidden: () => Effect.succeed(redirect("/dashboard?error=forbidden")),
            RepositoryError: (e) => Effect.as(Effect.logError("dashboard sign-in failed", e.message), redirect("/dashboard?error=unavailable")),
            CookieError: Effect.die
          })
        )
      })
    )

    yield* router.post(
      "/dashboard/logout",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!sameOrigin(request)) return refusal(403, "cross-site sign-out refused")
        const cookie = request.cookies[COOKIE]
        if (cookie !== undefined) yield* sessions.signOut(cookie)
        return clearCookie(redirect("/dashboard?error=signed-out"))
      })
    )
  })
)
