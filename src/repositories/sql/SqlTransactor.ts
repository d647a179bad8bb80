import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import { Transactor } from "../Transactor.js"
import { toRepositoryError } from "./SqlErrors.js"

/**
 * One unit of work per `sql.withTransaction`: BEGIN / COMMIT on the outermost call, a savepoint
 * on nested ones. Only the transaction's own failures (BEGIN, COMMIT, a lost connection) are
 * `SqlError`s here; the repositories inside have already mapped theirs.
 */
export const SqlTransactorLive = Layer.effect(
  Transactor,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return Transactor.of({
      transaction: (effect) =>
        sql.withTransaction(effect).pipe(
          Effect.mapError((error) => (error instanceof SqlError ? toRepositoryError(error) : error)),
          Effect.withSpan("SqlTransactor.transaction")
        )
    })
  })
)
