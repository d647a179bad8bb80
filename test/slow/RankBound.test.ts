import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Rank from "../../src/domain/Rank.js"
import { fresh } from "../unit/services/Fixtures.js"
import { moveIntoOneGap } from "../unit/services/GapMoves.js"

/**
 * The test, at its full size: tasks moved 10,000 times into the same gap through
 * TaskService. `npm test` runs the same with 400 moves; this size costs about 5 s.
 */
it.effect("keeps every key within Rank.MAX_LENGTH when tasks are moved 10,000 times into the same gap", () =>
  Effect.gen(function* () {
    const result = yield* moveIntoOneGap(10_000)
    console.log(`10,000 moves into one gap: longest key ${result.longestMoved} (left in the column ${result.longestLeft}), ${result.rebalances} rebalances`)
    expect(result.longestMoved).toBeLessThanOrEqual(Rank.MAX_LENGTH)
    expect(result.longestLeft).toBeLessThanOrEqual(Rank.MAX_LENGTH)
    expect(result.titles).toEqual(["Top", "A", "B", "C", "Tail"])
    expect(result.rebalances).toBeGreaterThan(10_000 / 200)
  }).pipe(fresh)
)
