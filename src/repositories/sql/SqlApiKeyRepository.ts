import { SqlClient, SqlSchema } from "@effect/sql"
import { DateTime, Effect, Layer, Schema } from "effect"
import { ApiKeyId, UserId } from "../../domain/Ids.js"
import { ApiKey, User, UserRole } from "../../domain/Model.js"
import { ApiKeyRepository } from "../ApiKeyRepository.js"
import { NullableTimestamp, Timestamp, traced } from "./SqlSupport.js"

const ApiKeyRow = Schema.Struct({
  ...ApiKey.fields,
  expiresAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  createdAt: Timestamp
})
const ApiKeyFromRow = Schema.transform(ApiKeyRow, Schema.typeSchema(ApiKey), {
  strict: true,
  decode: (row) => new ApiKey(row, true),
  encode: (key) => key
})
const StoredApiKeyRow = Schema.Struct({ key: ApiKeyRow, secretHash: Schema.String })
const StoredApiKeyFromRow = Schema.transform(
  Schema.Struct({ ...ApiKeyRow.fields, secretHash: Schema.String }),
  Schema.Struct({ key: Schema.typeSchema(ApiKey), secretHash: Schema.String }),
  {
    strict: true,
    decode: ({ secretHash, ...key }) => ({ key: new ApiKey(key, true), secretHash }),
    encode: ({ key, secretHash }) => ({ ...key, secretHash })
  }
)

/** A key row with its digest and its user's columns (`user_*`) beside it. */
const IdentityFromRow = Schema.transform(
  Schema.Struct({
    ...ApiKeyRow.fields,
    secretHash: Schema.String,
    userEmail: Schema.String,
    userName: Schema.String,
    userRole: UserRole,
    userCreatedAt: Timestamp
  }),
  Schema.Struct({ key: Schema.typeSchema(ApiKey), secretHash: Schema.String, user: Schema.typeSchema(User) }),
  {
    strict: true,
    decode: ({ secretHash, userCreatedAt, userEmail, userName, userRole, ...key }) => ({
      key: new ApiKey(key, true),
      secretHash,
      user: new User({ id: key.userId, email: userEmail, name: userName, role: userRole, createdAt: userCreatedAt }, true)
    }),
    encode: ({ key, secretHash, user }) => ({
      ...key,
      secretHash,
      userEmail: user.email,
      userName: user.name,
      userRole: user.role,
      userCreatedAt: user.createdAt
    })
  }
)

export const SqlApiKeyRepositoryLive = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = SqlSchema.void({
      Request: StoredApiKeyRow,
      execute: ({ key, secretHash }) => sql`INSERT INTO api_keys ${sql.insert({ ...key, secretHash })}`
    })
    const findByPrefix = SqlSchema.findOne({
      Request: Schema.String,
      Result: StoredApiKeyFromRow,
      execute: (prefix) => sql`SELECT * FROM api_keys WHERE prefix = ${prefix}`
    })
    const findIdentity = SqlSchema.findOne({
      Request: Schema.String,
      Result: IdentityFromRow,
      execute: (prefix) =>
        sql`SELECT k.*, u.email AS user_email, u.name AS user_name, u.role AS user_role, u.created_at AS user_created_at
            FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = ${prefix}`
    })
    const findById = SqlSchema.findOne({
      Request: ApiKeyId,
      Result: ApiKeyFromRow,
      execute: (id) => sql`SELECT * FROM api_keys WHERE id = ${id}`
    })
    const listByUser = SqlSchema.findAll({
      Request: UserId,
      Result: ApiKeyFromRow,
      execute: (userId) => sql`SELECT * FROM api_keys WHERE user_id = ${userId} ORDER BY id`
    })
    const revoke = SqlSchema.findOne({
      Request: Schema.Struct({ id: ApiKeyId, at: Timestamp }),
      Result: ApiKeyFromRow,
      execute: ({ id, at }) =>
        sql`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL RETURNING *`
    })

    return ApiKeyRepository.of({
      insert: (stored) => insert(stored).pipe(traced("SqlApiKeyRepository.insert")),
      findByPrefix: (prefix) => findByPrefix(prefix).pipe(traced("SqlApiKeyRepository.findByPrefix")),
      findIdentity: (prefix) => findIdentity(prefix).pipe(traced("SqlApiKeyRepository.findIdentity")),
      findById: (id) => findById(id).pipe(traced("SqlApiKeyRepository.findById")),
      listByUser: (userId) => listByUser(userId).pipe(traced("SqlApiKeyRepository.listByUser")),
      revoke: (id, at) => revoke({ id, at }).pipe(traced("SqlApiKeyRepository.revoke")),
      touch: (id, at) =>
        sql`UPDATE api_keys SET last_used_at = ${DateTime.toDateUtc(at)} WHERE id = ${id}`.pipe(
          Effect.asVoid,
          traced("SqlApiKeyRepository.touch")
        ),
      touchMany: (uses) =>
        uses.length === 0
          ? Effect.void
          : sql`UPDATE api_keys SET last_used_at = used.at
                FROM unnest(${uses.map((use) => use.id)}::uuid[], ${uses.map((use) => DateTime.toDateUtc(use.at))}::timestamptz[]) AS used(id, at)
                WHERE api_keys.id = used.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < used.at)`.pipe(
              Effect.asVoid,
              traced("SqlApiKeyRepository.touchMany")
            )
    })
  })
)
