import { Effect, Option } from "effect"
import { type RepositoryError, ValidationError } from "../domain/Errors.js"
import * as Rank from "../domain/Rank.js"

export interface Ranked<Id> {
  readonly rank: string
  readonly id: Id
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
}

const precedes = <Id extends string>(a: Ranked<Id>, b: Ranked<Id>) => a.rank < b.rank || (a.rank === b.rank && a.id < b.id)

/**
 * The one new rank for an item placed after/before a neighbour, or at the top or bottom of a
 * list. Only the moved item's row changes; its neighbours keep their keys.
 */
export const placeRank = <Id extends string>(
  request: PlacementRequest<Id>
): Effect.Effect<string, ValidationError | RepositoryError> => {
  const { after, before, neighbour } = request
  if (after !== null && before !== null) {
    return precedes(after, before)
      ? Effect.succeed(Rank.between(after.rank, before.rank))
      : Effect.fail(ValidationError.field("beforeId", "must come after afterId in the list"))
  }
  if (after !== null) {
    return Effect.map(neighbour(after, "after"), (upper) => Rank.between(after.rank, Option.getOrNull(upper)))
  }
  if (before !== null) {
    return Effect.map(neighbour(before, "before"), (lower) => Rank.between(Option.getOrNull(lower), before.rank))
  }
  return request.position === "top"
    ? Effect.map(neighbour(null, "after"), (first) => Rank.between(null, Option.getOrNull(first)))
    : Effect.map(neighbour(null, "before"), (last) => Rank.between(Option.getOrNull(last), null))
}
