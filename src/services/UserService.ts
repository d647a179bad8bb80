import { DateTime, Effect, Option } from "effect"
import { type Actor, hasScope, isAdmin } from "../domain/Actor.js"
import { Conflict, Forbidden, NotFound, type RepositoryError, ValidationError } from "../domain/Errors.js"
import { ApiKeyCreatedV1, ApiKeyRevokedV1, makeEvent, UserCreatedV1 } from "../domain/DomainEvents.js"
import { ApiKeyId, type ApiKeyId as ApiKeyIdT, newId, UserId } from "../domain/Ids.js"
import { ApiKey, User } from "../domain/Model.js"
import { decodeCursor, type Page, toPage } from "../domain/Page.js"
import type { CreateKey, CreateUser } from "../domain/Requests.js"
import { Outbox } from "../events/Outbox.js"
import { ApiKeyRepository } from "../repositories/ApiKeyRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { UserRepository } from "../repositories/UserRepository.js"
import * as ApiKeyCodec from "../security/ApiKeyCodec.js"
import { IdentityCache } from "../security/IdentityCache.js"

/** A key as returned once at creation: the only time the secret token is ever shown. */
export interface IssuedKey {
  readonly key: ApiKey
  readonly token: string
}

const requireAdmin = (actor: Actor) =>
  isAdmin(actor) ? Effect.void : Effect.fail(new Forbidden({ message: "this needs an admin user and a key with the admin scope" }))

/** For the entry points that take a raw string (bootstrap config, CLI look-ups): as the `Email` schema stores it, and forgiving of stray spaces. */
const normaliseEmail = (email: string): string => email.trim().toLowerCase()

/** Users may manage their own keys; admins anyone's. */
const requireSelfOrAdmin = (actor: Actor, userId: UserId) =>
  actor.user.id === userId ? Effect.void : requireAdmin(actor)

export class UserService extends Effect.Service<UserService>()("flowboard/UserService", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const keys = yield* ApiKeyRepository
    const identities = yield* IdentityCache
    const tx = yield* Transactor
    const outbox = yield* Outbox

    const insertUser = (actor: Actor | null, input: CreateUser) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const user = new User({ id: newId(UserId), email: input.email, name: input.name, role: input.role, createdAt: now })
        const inserted = yield* users.insert(user)
        if (!inserted) return yield* new Conflict({ message: `a user with email ${input.email} already exists` })
        yield* outbox.record(actor, [
          makeEvent({ type: "user", id: user.id, version: 1 }, now, new UserCreatedV1({ email: user.email, role: user.role }))
        ])
        return user
      })

    const insertKey = (actor: Actor | null, user: User, input: CreateKey) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        if (input.expiresAt !== null && DateTime.lessThanOrEqualTo(input.expiresAt, now)) {
          return yield* ValidationError.field("expiresAt", "must be in the future")
        }
        if (input.scopes.includes("admin") && user.role !== "admin") {
          return yield* ValidationError.field("scopes", "only admin users can hold the admin scope")
        }
        const generated = ApiKeyCodec.generate()
        const key = new ApiKey({
          id: newId(ApiKeyId),
          userId: user.id,
          name: input.name,
          prefix: generated.prefix,
          scopes: [...new Set(input.scopes)],
          expiresAt: input.expiresAt,
          revokedAt: null,
          lastUsedAt: null,
          createdAt: now
        })
        yield* keys.insert({ key, secretHash: generated.secretHash })
        yield* outbox.record(actor, [
          makeEvent({ type: "apikey", id: key.id, version: 1 }, now, new ApiKeyCreatedV1({ userId: user.id, prefix: key.prefix, scopes: key.scopes }))
        ])
        return { key, token: generated.token } satisfies IssuedKey
      })

    const findUser = (id: UserId) =>
      Effect.flatMap(users.findById(id), Option.match({ onNone: () => Effect.fail(NotFound.of("user", id)), onSome: Effect.succeed }))

    return {
      createUser: Effect.fn("UserService.createUser")(function* (actor: Actor, input: CreateUser) {
        yield* requireAdmin(actor)
        return yield* tx.transaction(insertUser(actor, input))
      }),

      getUser: Effect.fn("UserService.getUser")(function* (actor: Actor, id: UserId) {
        yield* requireSelfOrAdmin(actor, id)
        return yield* findUser(id)
      }),

      listUsers: Effect.fn("UserService.listUsers")(function* (
        actor: Actor,
        page: { readonly limit: number; readonly cursor: string | null }
      ): Effect.fn.Return<Page<User>, Forbidden | ValidationError | RepositoryError> {
        yield* requireAdmin(actor)
        const after = page.cursor === null ? null : decodeCursor(page.cursor)
        if (page.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        return toPage(yield* users.list({ limit: page.limit + 1, after }), page.limit)
      }),

      createKey: Effect.fn("UserService.createKey")(function* (actor: Actor, userId: UserId, input: CreateKey) {
        yield* requireSelfOrAdmin(actor, userId)
        if (input.scopes.some((scope) => !hasScope(actor, scope))) {
          return yield* ValidationError.field("scopes", "a key cannot grant scopes the calling key does not have")
        }
        const user = yield* findUser(userId)
        return yield* tx.transaction(insertKey(actor, user, input))
      }),

      listKeys: Effect.fn("UserService.listKeys")(function* (actor: Actor, userId: UserId) {
        yield* requireSelfOrAdmin(actor, userId)
        yield* findUser(userId)
        return yield* keys.listByUser(userId)
      }),

      revokeKey: Effect.fn("UserService.revokeKey")(function* (actor: Actor, keyId: ApiKeyIdT) {
        const existing = yield* keys.findById(keyId)
        // Someone else's key is as invisible as a missing one, unless the caller is an admin.
        if (Option.isNone(existing) || (existing.value.userId !== actor.user.id && !isAdmin(actor))) {
          return yield* NotFound.of("key", keyId)
        }
        // Revoking is idempotent: a second call changes nothing, so it records no second event.
        if (existing.value.revokedAt !== null) return existing.value
        // Forgotten once the revocation has committed, so no request re-reads the row before it.
        return yield* tx.transaction(
          Effect.gen(function* () {
            const now = yield* DateTime.now
            const revoked = yield* keys.revoke(keyId, now)
            // A concurrent revoke committed first: it recorded the event; this one answers alike.
            if (Option.isNone(revoked)) return yield* Effect.flatMap(keys.findById(keyId), Option.match({ onNone: () => Effect.fail(NotFound.of("key", keyId)), onSome: Effect.succeed }))
            yield* outbox.record(actor, [makeEvent({ type: "apikey", id: keyId, version: 2 }, now, new ApiKeyRevokedV1())])
            return revoked.value
          })
        ).pipe(Effect.ensuring(identities.forget(existing.value.prefix)))
      }),

      /**
       * First start: with no users at all, create an admin and a key for it, and hand back the
       * token so the caller can print it once. Does nothing when users exist.
       */
      bootstrap: Effect.fn("UserService.bootstrap")(function* (
        email: string
      ): Effect.fn.Return<Option.Option<IssuedKey & { readonly user: User }>, Conflict | ValidationError | RepositoryError> {
        return yield* tx.transaction(
          Effect.gen(function* () {
            if ((yield* users.count) > 0) return Option.none()
            const user = yield* insertUser(null, { email: normaliseEmail(email), name: "Administrator", role: "admin" })
            const issued = yield* insertKey(null, user, { name: "bootstrap", scopes: ["admin"], expiresAt: null })
            return Option.some({ ...issued, user })
          })
        ).pipe(
          // Two processes starting on one empty database both count no users; the second's
          // insert meets the first's admin. That process printed the key: nothing to do here.
          Effect.catchTag("Conflict", () => Effect.succeed(Option.none()))
        )
      }),

      /** For the CLI (an operator at the console, no acting key): a user and its first key. */
      createUserWithKey: Effect.fn("UserService.createUserWithKey")(function* (input: CreateUser) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const user = yield* insertUser(null, input)
            const scopes = user.role === "admin" ? (["admin"] as const) : (["read", "write"] as const)
            const issued = yield* insertKey(null, user, { name: "cli", scopes, expiresAt: null })
            return { ...issued, user }
          })
        )
      }),

      /** For the CLI: issue a key to a user found by email, without an acting key. */
      issueKeyByEmail: Effect.fn("UserService.issueKeyByEmail")(function* (email: string, input: CreateKey) {
        const user = yield* Effect.flatMap(
          users.findByEmail(normaliseEmail(email)),
          Option.match({ onNone: () => Effect.fail(NotFound.of("user", email)), onSome: Effect.succeed })
        )
        return yield* tx.transaction(insertKey(null, user, input))
      })
    } as const
  })
}) {}
