import type { ApiKeyId } from "./Ids.js"
import type { KeyScope, User } from "./Model.js"

/** Who is calling: the user behind the presented API key, and what that key may do. */
export interface Actor {
  readonly user: User
  readonly keyId: ApiKeyId | null
  readonly scopes: ReadonlyArray<KeyScope>
}

/** Scopes are nested: `admin` includes `write`, which includes `read`. */
const rank: Record<KeyScope, number> = { read: 1, write: 2, admin: 3 }
export const hasScope = (actor: Actor, scope: KeyScope): boolean =>
  actor.scopes.some((granted) => rank[granted] >= rank[scope])

/** The identity used for work the system does itself (first-start bootstrap, CLI). */
export const isAdmin = (actor: Actor): boolean => actor.user.role === "admin" && hasScope(actor, "admin")
