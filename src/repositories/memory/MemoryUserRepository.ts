import { Effect, HashMap, Layer, Option } from "effect"
import { UserRepository } from "../UserRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { pageAfter, rowsOf } from "./Query.js"

export const MemoryUserRepository = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return UserRepository.of({
      insert: (user) =>
        store.write((t) => {
          // As `ON CONFLICT (email) DO NOTHING`: the email clash is an answer, any other clash a fault.
          if (rowsOf(t.users).some((u) => u.email === user.email)) return ok(false, t)
          if (HashMap.has(t.users, user.id)) return violation(`users: duplicate id ${user.id}`)
          return ok(true, { ...t, users: HashMap.set(t.users, user.id, user) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.users, id)),
      findByEmail: (email) => store.read((t) => Option.fromNullable(rowsOf(t.users).find((u) => u.email === email))),
      list: (page) => store.read((t) => pageAfter(rowsOf(t.users), page)),
      count: store.read((t) => HashMap.size(t.users))
    })
  })
)
