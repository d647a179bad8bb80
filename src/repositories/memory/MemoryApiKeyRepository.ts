import { Array as Arr, DateTime, Effect, HashMap, Layer, Option } from "effect"
import { ApiKey } from "../../domain/Model.js"
import { ApiKeyRepository } from "../ApiKeyRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { byId, rowsOf } from "./Query.js"

export const MemoryApiKeyRepository = Layer.effect(
  ApiKeyRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore

    // UPDATE ... RETURNING: the key as stored after the change, or none when there is no such key.
    const updateKey = (id: string, change: (key: ApiKey) => ApiKey) =>
      store.write((t) =>
        Option.match(HashMap.get(t.apiKeys, id), {
          onNone: () => ok(Option.none<ApiKey>(), t),
          onSome: (stored) => {
            const key = change(stored.key)
            return ok(Option.some(key), { ...t, apiKeys: HashMap.set(t.apiKeys, id, { ...stored, key }) })
          }
        })
      )

    return ApiKeyRepository.of({
      insert: (stored) =>
        store.write((t) => {
          const { key } = stored
          if (HashMap.has(t.apiKeys, key.id)) return violation(`api_keys: duplicate id ${key.id}`)
          // The port has no `false` for this: a clash of random prefixes is a fault, as in SQL.
          if (rowsOf(t.apiKeys).some((s) => s.key.prefix === key.prefix)) {
            return violation("api_keys: duplicate prefix")
          }
          if (!HashMap.has(t.users, key.userId)) return violation("api_keys.user_id: no such user")
          return ok(undefined, { ...t, apiKeys: HashMap.set(t.apiKeys, key.id, stored) })
        }),
      findByPrefix: (prefix) =>
        store.read((t) => Option.fromNullable(rowsOf(t.apiKeys).find((s) => s.key.prefix === prefix))),
      findIdentity: (prefix) =>
        store.read((t) =>
          Option.flatMap(Option.fromNullable(rowsOf(t.apiKeys).find((s) => s.key.prefix === prefix)), (stored) =>
            Option.map(HashMap.get(t.users, stored.key.userId), (user) => ({ ...stored, user }))
          )
        ),
      findById: (id) => store.read((t) => Option.map(HashMap.get(t.apiKeys, id), (s) => s.key)),
      listByUser: (userId) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.apiKeys)
              .map((s) => s.key)
              .filter((k) => k.userId === userId),
            byId
          )
        ),
      revoke: (id, at) =>
        store.write((t) =>
          Option.match(
            Option.filter(HashMap.get(t.apiKeys, id), (stored) => stored.key.revokedAt === null),
            {
              onNone: () => ok(Option.none<ApiKey>(), t),
              onSome: (stored) => {
                const key = new ApiKey({ ...stored.key, revokedAt: at })
                return ok(Option.some(key), { ...t, apiKeys: HashMap.set(t.apiKeys, id, { ...stored, key }) })
              }
            }
          )
        ),
      touch: (id, at) => Effect.asVoid(updateKey(id, (key) => new ApiKey({ ...key, lastUsedAt: at }))),
      touchMany: (uses) =>
        Effect.forEach(
          uses,
          ({ at, id }) =>
            updateKey(id, (key) =>
              key.lastUsedAt !== null && !DateTime.lessThan(key.lastUsedAt, at) ? key : new ApiKey({ ...key, lastUsedAt: at })
            ),
          { discard: true }
        )
    })
  })
)

