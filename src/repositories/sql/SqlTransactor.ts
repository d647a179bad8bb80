import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Config, Duration, Effect, Layer, Option } from "effect"
import { RepositoryError } from "../../domain/Errors.js"
import { Transactor } from "../Transactor.js"
import { guardDatabase, InUnitOfWork } from "../../resilience/Breakers.js"
import { OutboxWakeUp } from "./OutboxWakeUp.js"
import { toRepositoryError } from "./SqlErrors.js"

/**
 * How many Postgres connections units of work may hold at once: the pool less a reserve. The
 * reserve is what an interrupted unit needs to get out: `@effect/sql-pg` cancels a statement in
 * flight with `SELECT pg_cancel_backend(..)` on another pool connection. With every connection
 * held by a unit waiting on a row lock, thirty-two clients going away at once left the whole
 * pool waiting for a connection none could free until timeouts (`npm run bench:http`, create
 * scenario: every other round answered nothing). The reserve also keeps plain reads and
 * authentication from queueing behind writes.
 */
export const transactionSlots = (poolMax: number): number => Math.max(1, poolMax - Math.max(1, Math.floor(poolMax / 5)))

const SlotsConfig = Config.all({
  poolMax: Config.integer("DATABASE_POOL_MAX").pipe(Config.withDefault(10)),
  wait: Config.duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5)))
})

/**
 * One unit of work per `sql.withTransaction`: BEGIN / COMMIT on the outermost call, a savepoint
 * on nested ones. Only the transaction's own failures (BEGIN, COMMIT, a lost connection) are
 * `SqlError`s here; the repositories inside have already mapped theirs. On Postgres the outermost
 * unit first takes one of `transactionSlots` permits, waiting at most `DATABASE_CONNECT_TIMEOUT`
 * (then a transient failure: `503` with `Retry-After`, as a pool timeout answers). A unit that
 * appended outbox rows wakes the relays once it has committed (OutboxWakeUp.ts).
 */
export const SqlTransactorLive = Layer.effect(
  Transactor,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const onPostgres = Option.isSome(yield* Effect.serviceOption(PgClient.PgClient))
    const run = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | RepositoryError, R> =>
      sql.withTransaction(effect).pipe(Effect.mapError((error) => (error instanceof SqlError ? toRepositoryError(error) : error)))
    if (!onPostgres) {
      return Transactor.of({ transaction: (effect) => run(effect).pipe(Effect.withSpan("SqlTransactor.transaction", { captureStackTrace: false })) })
    }
    // Read (and validated) by the Postgres client's layer before this one is built.
    const { poolMax, wait } = yield* Effect.orDie(SlotsConfig)
    const { tracked } = yield* OutboxWakeUp
    const slots = yield* Effect.makeSemaphore(transactionSlots(poolMax))
    const busy = new RepositoryError({
      message: `no database connection for a transaction within ${Duration.format(wait)}`,
      transient: true
    })
    return Transactor.of({
      transaction: (effect) =>
        Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (outer) =>
          Option.isSome(outer)
            ? run(effect)
            : Effect.uninterruptibleMask((restore) =>
                restore(slots.take(1).pipe(Effect.timeoutFail({ duration: wait, onTimeout: () => busy }))).pipe(
                  Effect.zipRight(restore(tracked(run(effect))).pipe(Effect.ensuring(slots.release(1))))
                )
              ).pipe(
                // The breaker judges the unit as a whole (its statements are not counted again),
                // and refuses it before it waits for a connection while the database is away.
                Effect.locally(InUnitOfWork, true),
                guardDatabase
              )
        ).pipe(Effect.withSpan("SqlTransactor.transaction", { captureStackTrace: false }))
    })
  })
)
