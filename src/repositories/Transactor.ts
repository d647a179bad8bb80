import { Context, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"

/**
 * Runs an effect as one unit of work: every repository call inside commits together or not at
 * all. Nested calls join the outer transaction. The SQL adapter maps onto
 * `SqlClient.withTransaction`; the in-memory adapter serialises units and restores a snapshot
 * of every store on failure.
 */
export class Transactor extends Context.Tag("flowboard/Transactor")<
  Transactor,
  {
    readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RepositoryError, R>
  }
>() {}
