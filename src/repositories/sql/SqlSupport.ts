import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, type ParseResult, Schema } from "effect"
import type { RepositoryError } from "../../domain/Errors.js"
import type { Ranked } from "../../domain/Rank.js"
import { toRepositoryError } from "./SqlErrors.js"
import { guardStatement } from "../../resilience/Breakers.js"

/** Row codecs shared by the SQL adapters: the drivers hand timestamptz over as JS `Date`s. */
export const Timestamp = Schema.DateTimeUtcFromDate
export const NullableTimestamp = Schema.NullOr(Schema.DateTimeUtcFromDate)

export const PageRequest = Schema.Struct({ limit: Schema.Int, after: Schema.NullOr(Schema.String) })

/** `count(*)` is a bigint, which the drivers return as a string: cast it to `int` in the query. */
const CountRow = Schema.Struct({ count: Schema.Int })
export const decodeCount = (rows: ReadonlyArray<unknown>): Effect.Effect<number, ParseResult.ParseError> =>
  Schema.decodeUnknown(Schema.Tuple(CountRow))(rows).pipe(Effect.map(([row]) => row.count))

/** A user's text as a literal ILIKE pattern: `%`, `_` and the escape character itself escaped. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** The ports' precondition on a compare-and-set update; breaking it is a bug in the caller. */
export const requireNextVersion = (resource: string, version: number, expectedVersion: number): Effect.Effect<void> =>
  version === expectedVersion + 1
    ? Effect.void
    : Effect.dieMessage(`${resource}.update: version ${version} must be expectedVersion + 1 (${expectedVersion + 1})`)

/**
 * Every adapter method: infrastructure failures become `RepositoryError`, inside its span. The
 * span records no call site: capturing one is a `new Error()` per statement, and the method's
 * name already says where it was called from.
 */
export const traced = (span: string) => {
  const options = { captureStackTrace: false } as const
  return <A, R>(effect: Effect.Effect<A, SqlError | ParseResult.ParseError, R>): Effect.Effect<A, RepositoryError, R> =>
    effect.pipe(Effect.mapError(toRepositoryError), guardStatement, Effect.withSpan(span, options))
}

/**
 * The neighbour of `anchor` in (rank, id) order within one list (a status of projects, a
 * column of tasks), skipping `exclude`: the conditions to AND with the list's own, and the order
 * whose first row is the answer. With no anchor, "after" finds the first and "before" the last.
 */
export const neighbourQuery = (
  sql: SqlClient.SqlClient,
  anchor: { readonly rank: string; readonly id: string } | null,
  direction: "after" | "before",
  exclude: string | null
) => ({
  conditions: [
    ...(anchor === null
      ? []
      : direction === "after"
      ? [sql`(rank, id) > (${anchor.rank}, ${anchor.id}::uuid)`]
      : [sql`(rank, id) < (${anchor.rank}, ${anchor.id}::uuid)`]),
    ...(exclude === null ? [] : [sql`id <> ${exclude}`])
  ],
  order: direction === "after" ? sql`rank, id` : sql`rank DESC, id DESC`
})

/** An item's place in its list, as `listRanks` reads it. */
export const RankRow = <Id extends Schema.Schema.Any>(id: Id) => Schema.Struct({ id, rank: Schema.String })

/** A rebalance's new ranks as two parallel arrays, for `unnest($ids, $ranks)`: one statement, two parameters. */
export const RankArrays = <Id extends Schema.Schema.Any>(id: Id) =>
  Schema.Struct({ ids: Schema.Array(id), ranks: Schema.Array(Schema.String) })

export const toRankArrays = <Id>(ranked: ReadonlyArray<Ranked<Id>>) => ({
  ids: ranked.map((item) => item.id),
  ranks: ranked.map((item) => item.rank)
})
