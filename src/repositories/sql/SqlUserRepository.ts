import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { UserId } from "../../domain/Ids.js"
import { User } from "../../domain/Model.js"
import { UserRepository } from "../UserRepository.js"
import { decodeCount, PageRequest, Timestamp, traced } from "./SqlSupport.js"

const UserRow = Schema.Struct({ ...User.fields, createdAt: Timestamp })
const UserFromRow = Schema.transform(UserRow, Schema.typeSchema(User), {
  strict: true,
  decode: (row) => new User(row, true),
  encode: (user) => user
})

export const SqlUserRepositoryLive = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // ON CONFLICT rather than catching 23505: a failed statement would abort the caller's transaction.
    const insert = SqlSchema.findAll({
      Request: UserRow,
      Result: Schema.Struct({ id: UserId }),
      execute: (row) => sql`INSERT INTO users ${sql.insert(row)} ON CONFLICT (email) DO NOTHING RETURNING id`
    })
    const findById = SqlSchema.findOne({
      Request: UserId,
      Result: UserFromRow,
      execute: (id) => sql`SELECT * FROM users WHERE id = ${id}`
    })
    const findByEmail = SqlSchema.findOne({
      Request: Schema.String,
      Result: UserFromRow,
      execute: (email) => sql`SELECT * FROM users WHERE email = ${email}`
    })
    const list = SqlSchema.findAll({
      Request: PageRequest,
      Result: UserFromRow,
      execute: ({ after, limit }) =>
        sql`SELECT * FROM users ${after === null ? sql`` : sql`WHERE id > ${after}`} ORDER BY id LIMIT ${limit + 1}`
    })

    return UserRepository.of({
      insert: (user) =>
        insert(user).pipe(
          Effect.map((inserted) => inserted.length > 0),
          traced("SqlUserRepository.insert")
        ),
      findById: (id) => findById(id).pipe(traced("SqlUserRepository.findById")),
      findByEmail: (email) => findByEmail(email).pipe(traced("SqlUserRepository.findByEmail")),
      list: (page) => list(page).pipe(traced("SqlUserRepository.list")),
      count: sql`SELECT count(*)::int AS count FROM users`.pipe(
        Effect.flatMap(decodeCount),
        traced("SqlUserRepository.count")
      )
    })
  })
)
