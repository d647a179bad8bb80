import { Array as Arr, Effect, Option, Order } from "effect"
import { type RepositoryError, ValidationError } from "../domain/Errors.js"
import * as Rank from "../domain/Rank.js"
import type { Ranked } from "../domain/Rank.js"

export type { Ranked } from "../domain/Rank.js"

/**
 * What a list does when the key computed for an item would be longer than `Rank.MAX_LENGTH`:
 * every item of the list gets a fresh key from `Rank.spread`, in the order the long key would
 * have given, inside the caller's unit of work.
 */
export interface Rebalance<Id> {
  /** The item being placed (a new one's id as well): ties with its key are ordered by it. */
  readonly id: Id
  /** The other items of the target list (the placed one, if listed, is ignored). */
  readonly others: Effect.Effect<ReadonlyArray<Ranked<Id>>, RepositoryError>
  /**
   * Stores the others' fresh keys, and records what the list's readers must hear of it. Only
   * the others: the caller writes the placed item with the key `keepShort` answers.
   */
  readonly rewrite: (others: ReadonlyArray<Ranked<Id>>) => Effect.Effect<void, RepositoryError>
}

export interface PlacementRequest<Id> {
  readonly after: Ranked<Id> | null
  readonly before: Ranked<Id> | null
  readonly position: "top" | "bottom"
  /** The neighbouring rank in the target list, skipping the item being placed. */
  readonly neighbour: (
    anchor: Ranked<Id> | null,
    direction: "after" | "before"
  ) => Effect.Effect<Option.Option<string>, RepositoryError>
  readonly rebalance: Rebalance<Id>
}

/** (rank, id), as the repositories order: plain string comparison is `COLLATE "C"` for these. */
const byRankThenId: Order.Order<Ranked<string>> = Order.combine(
  Order.mapInput(Order.string, (item: Ranked<string>) => item.rank),
  Order.mapInput(Order.string, (item: Ranked<string>) => item.id)
)

const precedes = <Id extends string>(a: Ranked<Id>, b: Ranked<Id>) => byRankThenId(a, b) < 0

/**
 * `rank` for the item `rebalance.id`, if it is short enough. Otherwise the whole list is
 * rebalanced, and the answer is the item's key in it: the one place where a key's length is
 * bounded, for every list (tasks in a column, projects in a status, columns of a board).
 */
export const keepShort =
  <Id extends string>(rebalance: Rebalance<Id>) =>
  (rank: string): Effect.Effect<string, RepositoryError> =>
    rank.length <= Rank.MAX_LENGTH
      ? Effect.succeed(rank)
      : Effect.gen(function* () {
          const others = (yield* rebalance.others).filter((item) => item.id !== rebalance.id)
          const order = Arr.sort([...others, { id: rebalance.id, rank }], byRankThenId)
          const keys = Rank.spread(order.length)
          const fresh = order.map((item, i) => ({ id: item.id, rank: keys[i]! }))
          yield* Effect.annotateCurrentSpan("items", order.length)
          yield* rebalance.rewrite(fresh.filter((item) => item.id !== rebalance.id))
          return keys[order.findIndex((item) => item.id === rebalance.id)]!
        }).pipe(Effect.withSpan("Placement.rebalance"))

/**
 * The one new rank for an item placed after/before a neighbour, or at the top or bottom of a
 * list. Only the moved item's row changes and its neighbours keep their keys, unless the new
 * key would be too long: then the list is rebalanced (`keepShort`).
 */
export const placeRank = <Id extends string>(
  request: PlacementRequest<Id>
): Effect.Effect<string, ValidationError | RepositoryError> => {
  const { after, before, neighbour } = request
  const bounded = keepShort(request.rebalance)
  if (after !== null && before !== null) {
    return precedes(after, before)
      ? bounded(Rank.between(after.rank, before.rank))
      : Effect.fail(ValidationError.field("beforeId", "must come after afterId in the list"))
  }
  if (after !== null) {
    return Effect.flatMap(neighbour(after, "after"), (upper) => bounded(Rank.between(after.rank, Option.getOrNull(upper))))
  }
  if (before !== null) {
    return Effect.flatMap(neighbour(before, "before"), (lower) => bounded(Rank.between(Option.getOrNull(lower), before.rank)))
  }
  return request.position === "top"
    ? Effect.flatMap(neighbour(null, "after"), (first) => bounded(Rank.between(null, Option.getOrNull(first))))
    : Effect.flatMap(neighbour(null, "before"), (last) => bounded(Rank.between(Option.getOrNull(last), null)))
}
