import { Context, type Effect } from "effect"
import type { RepositoryError } from "../domain/Errors.js"

/**
 * What `/health/ready` asks: can we reach the database and is its schema current. One adapter
 * per storage (SQL: a round trip plus the migration table; in-memory: always ready).
 */
export class Readiness extends Context.Tag("flowboard/Readiness")<
  Readiness,
  {
    readonly mode: string
    readonly check: Effect.Effect<void, RepositoryError>
  }
>() {}
