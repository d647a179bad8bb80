import { randomBytes } from "node:crypto"
import { Clock, Config, DateTime, Duration, Effect, Option } from "effect"
import { type Actor, isAdmin } from "../domain/Actor.js"
import { Forbidden, type RepositoryError, type Unauthorized } from "../domain/Errors.js"
import type { ApiKeyId, UserId } from "../domain/Ids.js"
import { ApiKeyRepository } from "../repositories/ApiKeyRepository.js"
import { UserRepository } from "../repositories/UserRepository.js"
import { AuthService } from "../services/AuthService.js"

interface Session {
  readonly userId: UserId
  /** The key the operator signed in with: revoking it, or the user losing the admin role, ends the session. */
  readonly keyId: ApiKeyId
  readonly expiresAt: number
}

export const DashboardConfig = Config.all({
  sessionTtl: Config.duration("DASHBOARD_SESSION_TTL").pipe(Config.withDefault(Duration.hours(8)))
})

/** Enough for every operator; beyond it the oldest sessions go first. */
const MAX_SESSIONS = 1_000

/**
 * Dashboard sign-ins, in memory: a random session id (256 bits) → the user and key behind it,
 * with an absolute expiry. The cookie carries only the id, never the key. Each use checks the
 * user and key again, so a revoked key or a demoted admin loses the dashboard at once. A
 * restart signs everyone out — a fair price for holding no secret at rest.
 */
export class DashboardSessions extends Effect.Service<DashboardSessions>()("flowboard/DashboardSessions", {
  effect: Effect.gen(function* () {
    const { sessionTtl } = yield* DashboardConfig
    const auth = yield* AuthService
    const keys = yield* ApiKeyRepository
    const users = yield* UserRepository
    const sessions = new Map<string, Session>()

    const prune = (now: number) => {
      for (const [id, session] of sessions) if (session.expiresAt <= now) sessions.delete(id)
      for (const id of sessions.keys()) {
        if (sessions.size < MAX_SESSIONS) break
        sessions.delete(id)
      }
    }

    /** Only admins: anyone else's valid key is `Forbidden`. */
    const requireAdmin = (actor: Actor): Effect.Effect<Actor, Forbidden> =>
      isAdmin(actor) ? Effect.succeed(actor) : Effect.fail(new Forbidden({ message: "the dashboard is for admins" }))

    /** The admin behind a bearer token (the same check as the API, plus the admin role). */
    const authenticate = (token: string): Effect.Effect<Actor, Unauthorized | Forbidden | RepositoryError> =>
      Effect.flatMap(auth.authenticate(token), requireAdmin)

    const signIn = Effect.fn("DashboardSessions.signIn")(function* (token: string) {
      const actor = yield* authenticate(token)
      const keyId = actor.keyId
      if (keyId === null) return yield* new Forbidden({ message: "sign in with an API key" })
      const now = yield* Clock.currentTimeMillis
      prune(now)
      const id = randomBytes(32).toString("base64url")
      sessions.set(id, { userId: actor.user.id, keyId, expiresAt: now + Duration.toMillis(sessionTtl) })
      return { id, actor, maxAge: sessionTtl }
    })

    /** The admin a session id stands for, still valid; `None` when it is unknown, expired or no longer admin. */
    const actorFor = Effect.fn("DashboardSessions.actorFor")(function* (id: string) {
      const now = yield* Clock.currentTimeMillis
      const session = sessions.get(id)
      if (session === undefined) return Option.none<{ readonly actor: Actor; readonly expiresAt: number }>()
      const key = yield* keys.findById(session.keyId)
      const user = yield* users.findById(session.userId)
      const nowUtc = DateTime.unsafeMake(now)
      const valid =
        session.expiresAt > now &&
        Option.isSome(key) &&
        Option.isSome(user) &&
        key.value.revokedAt === null &&
        (key.value.expiresAt === null || DateTime.greaterThan(key.value.expiresAt, nowUtc))
      if (!valid) {
        sessions.delete(id)
        return Option.none()
      }
      const actor: Actor = { user: user.value, keyId: key.value.id, scopes: key.value.scopes }
      if (!isAdmin(actor)) {
        sessions.delete(id)
        return Option.none()
      }
      return Option.some({ actor, expiresAt: session.expiresAt })
    })

    const signOut = (id: string) => Effect.sync(() => void sessions.delete(id))

    return { authenticate, signIn, actorFor, signOut } as const
  })
}) {}
