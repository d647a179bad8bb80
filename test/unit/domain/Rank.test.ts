import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Rank from "../../../src/domain/Rank.js"
import { keepShort, placeRank, type Ranked, type Rebalance } from "../../../src/services/Placement.js"
import { expectInvalid } from "../services/Fixtures.js"

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/** A deterministic stream of valid keys, so a failure reproduces. */
const keys = (count: number, seed = 7): Array<string> => {
  let state = seed
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31)
  return Array.from({ length: count }, () => {
    const length = 1 + (next() % 5)
    const body = Array.from({ length: length - 1 }, () => DIGITS[next() % 62]!).join("")
    return body + DIGITS[1 + (next() % 61)]!
  })
}

/** The value of a key read as a base-62 fraction with `length` digits (keys of `spread` share one length). */
const valueOf = (key: string, length: number): number =>
  [...key.padEnd(length, "0")].reduce((value, c) => value * 62 + DIGITS.indexOf(c), 0)

/** For placements that must not need a rebalance: one would fail the test. */
const noRebalance: Rebalance<string> = {
  id: "placed",
  others: Effect.dieMessage("unexpected rebalance"),
  rewrite: () => Effect.dieMessage("unexpected rebalance")
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const byRankThenId = (a: Ranked<string>, b: Ranked<string>) => compare(a.rank, b.rank) || compare(a.id, b.id)

/**
 * A list held in memory, placed into as the services do (`placeRank`, the neighbour queries of
 * the repositories, a rebalance that rewrites the others): how the bound is kept, without a store.
 */
const aList = (ids: ReadonlyArray<string>) => {
  const seed = Rank.spread(ids.length)
  // Kept in (rank, id) order, as the repositories answer.
  let items: Array<Ranked<string>> = ids.map((id, i) => ({ id, rank: seed[i]! }))
  const state = { rebalances: 0 }
  const find = (id: string) => items.find((item) => item.id === id)!
  const place = (id: string, where: { readonly after?: string; readonly before?: string; readonly position?: "top" | "bottom" }) =>
    Effect.gen(function* () {
      const neighbour = (anchor: Ranked<string> | null, direction: "after" | "before") =>
        Effect.sync(() => {
          const others = items.filter((item) => item.id !== id)
          const side = direction === "after" ? 1 : -1
          const candidates = anchor === null ? others : others.filter((item) => byRankThenId(item, anchor) === side)
          return Option.fromNullable((direction === "after" ? candidates[0] : candidates.at(-1))?.rank)
        })
      const rebalance: Rebalance<string> = {
        id,
        others: Effect.sync(() => items),
        rewrite: (others) =>
          Effect.sync(() => {
            state.rebalances++
            const fresh = new Map(others.map((item) => [item.id, item.rank]))
            items = items.map((item) => ({ id: item.id, rank: fresh.get(item.id) ?? item.rank })).sort(byRankThenId)
          })
      }
      const rank = yield* placeRank({
        after: where.after === undefined ? null : find(where.after),
        before: where.before === undefined ? null : find(where.before),
        position: where.position ?? "bottom",
        neighbour,
        rebalance
      })
      const placed = { id, rank }
      const rest = items.filter((item) => item.id !== id)
      const at = rest.findIndex((item) => byRankThenId(placed, item) < 0)
      items = at < 0 ? [...rest, placed] : [...rest.slice(0, at), placed, ...rest.slice(at)]
    })
  return {
    place,
    state,
    order: () => items.map((item) => item.id),
    ranks: () => items.map((item) => item.rank)
  }
}

/**
 * What is wrong with a list's keys, if anything: each must be valid and within the bound, and
 * they must increase strictly, so the ranks alone give the order. Checked after every step of
 * a long loop, hence a plain answer rather than an assertion each.
 */
const faultIn = (ranks: ReadonlyArray<string>): string | null => {
  const invalid = ranks.find((key) => !Rank.isValidRank(key) || key.length > Rank.MAX_LENGTH)
  if (invalid !== undefined) return `invalid or too long: ${invalid}`
  const i = ranks.findIndex((key, i) => i > 0 && ranks[i - 1]! >= key)
  return i < 0 ? null : `out of order: ${ranks[i - 1]} then ${ranks[i]}`
}

const expectShortAndStrictlyOrdered = (ranks: ReadonlyArray<string>) => expect(faultIn(ranks)).toBeNull()

const expectStrictlyBetween = (lower: string | null, upper: string | null) => {
  const key = Rank.between(lower, upper)
  expect(Rank.isValidRank(key)).toBe(true)
  if (lower !== null) expect(key > lower).toBe(true)
  if (upper !== null) expect(key < upper).toBe(true)
  return key
}

describe("Rank", () => {
  it("starts an empty list in the middle of the alphabet", () => {
    expect(Rank.between(null, null)).toBe(Rank.first)
    expect(Rank.first).toBe("V")
  })

  it("places a key strictly between any two distinct valid keys", () => {
    const sample = keys(4000)
    for (let i = 0; i + 1 < sample.length; i += 2) {
      const [a, b] = [sample[i]!, sample[i + 1]!]
      if (a === b) continue
      expectStrictlyBetween(a < b ? a : b, a < b ? b : a)
    }
  })

  it("handles keys that share a prefix, differ by one digit, or where one is a prefix of the other", () => {
    for (const [lower, upper] of [["V", "W"], ["V", "V1"], ["V", "V01"], ["VV", "W"], ["Vz", "W"], ["0z", "1"], ["a", "az"], ["y", "z"]] as const) {
      expectStrictlyBetween(lower, upper)
    }
  })

  it("keeps finding room when the same gap is split again and again", () => {
    let lower = "V"
    let upper = "W"
    for (let i = 0; i < 200; i++) {
      const mid = expectStrictlyBetween(lower, upper)
      if (i % 2 === 0) lower = mid
      else upper = mid
    }
  })

  it("extends an open end by keys about 2·log62(n) long: 10,000 appends at the bottom, 10,000 at the top", () => {
    const appended = [Rank.first]
    for (let i = 0; i < 10_000; i++) appended.push(Rank.between(appended.at(-1)!, null))
    expect(faultIn(appended)).toBeNull()
    // The first 30 step one digit, as before; then three characters for ~3,800, then five.
    expect(appended.slice(1, 4)).toStrictEqual(["W", "X", "Y"])
    expect(Math.max(...appended.slice(0, 31).map((key) => key.length))).toBe(1)
    expect(Math.max(...appended.slice(0, 3_000).map((key) => key.length))).toBe(3)
    expect(Math.max(...appended.map((key) => key.length))).toBe(5)
    const prepended = [Rank.first]
    for (let i = 0; i < 10_000; i++) prepended.push(Rank.between(null, prepended.at(-1)!))
    expect(faultIn([...prepended].reverse())).toBeNull()
    expect(Math.max(...prepended.slice(0, 3_000).map((key) => key.length))).toBe(3)
    expect(Math.max(...prepended.map((key) => key.length))).toBe(5)
  })

  it("places after the lower key when neighbours are equal or inverted (a concurrent tie)", () => {
    expect(Rank.between("V", "V") > "V").toBe(true)
    expect(Rank.between("X", "V") > "X").toBe(true)
  })

  it("spreads n keys evenly, at the shortest one length that holds them two units apart", () => {
    expect(Rank.spread(0)).toStrictEqual([])
    expect(Rank.spread(1)).toStrictEqual([Rank.first])
    expect(Rank.spread(5)).toStrictEqual(["A", "L", "V", "f", "q"])
    // 62 one-digit values (the smallest included) hold 30 keys two apart; 31 need two digits.
    for (const [n, length] of [[30, 1], [31, 2], [1_921, 2], [1_922, 3], [10_000, 3]] as const) {
      const keys = Rank.spread(n)
      expect(keys.length).toBe(n)
      expect(new Set(keys.map((key) => key.length))).toStrictEqual(new Set([length]))
      expectShortAndStrictlyOrdered(keys)
      // Evenly: the gaps, the two open ends included, differ by rounding and by the unit a key
      // ending in the smallest digit is moved up.
      const values = [0, ...keys.map((key) => valueOf(key, length)), 62 ** length]
      const gaps = values.slice(1).map((value, i) => value - values[i]!)
      expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(3)
    }
  })

  it("accepts only non-empty keys over the alphabet that do not end in its smallest digit", () => {
    expect(Rank.isValidRank("V")).toBe(true)
    expect(Rank.isValidRank("0V")).toBe(true)
    expect(Rank.isValidRank("")).toBe(false)
    expect(Rank.isValidRank("V0")).toBe(false)
    expect(Rank.isValidRank("V-")).toBe(false)
    expect(Rank.isValidRank("V".repeat(257))).toBe(false)
  })
})

describe("Placement.keepShort", () => {
  const others = [{ id: "a", rank: "V" }, { id: "c", rank: "W" }, { id: "placed", rank: "X" }]
  const capture = () => {
    const written: Array<ReadonlyArray<Ranked<string>>> = []
    const rebalance: Rebalance<string> = {
      id: "placed",
      others: Effect.succeed(others),
      rewrite: (ranks) => Effect.sync(() => void written.push(ranks))
    }
    return { written, bounded: keepShort(rebalance) }
  }

  it.effect("answers a key of up to MAX_LENGTH characters as it is, rewriting nothing", () =>
    Effect.gen(function* () {
      const { bounded, written } = capture()
      const key = "V".repeat(Rank.MAX_LENGTH - 1) + "1"
      expect(yield* bounded(key)).toBe(key)
      expect(written).toStrictEqual([])
    }))

  it.effect("for a longer key, re-spreads the list with the item where that key would put it, and writes only the others", () =>
    Effect.gen(function* () {
      const { bounded, written } = capture()
      // Between "a" (V) and "c" (W); its own old place ("X") does not count.
      const rank = yield* bounded("V".repeat(Rank.MAX_LENGTH) + "1")
      const [a, placed, c] = Rank.spread(3)
      expect(rank).toBe(placed)
      expect(written).toStrictEqual([[{ id: "a", rank: a }, { id: "c", rank: c }]])
    }))

  it.effect("orders a tie with the long key by id, as (rank, id) order would", () =>
    Effect.gen(function* () {
      const long = "W".repeat(Rank.MAX_LENGTH + 1)
      const written: Array<ReadonlyArray<Ranked<string>>> = []
      const rank = yield* keepShort<string>({
        id: "b",
        others: Effect.succeed([{ id: "a", rank: long }, { id: "c", rank: long }]),
        rewrite: (ranks) => Effect.sync(() => void written.push(ranks))
      })(long)
      expect(written[0]!.map((item) => item.id)).toStrictEqual(["a", "c"])
      expect(written[0]![0]!.rank < rank && rank < written[0]![1]!.rank).toBe(true)
    }))
})

describe("Placement under a bound on key length", () => {
  it.effect("2,000 insertions into one gap: valid, ordered keys, never longer than MAX_LENGTH", () =>
    Effect.gen(function* () {
      const list = aList(["top", "A", "B", "bottom"])
      // Each new item goes right after A, so the gap after A halves every time.
      let fault: string | null = null
      for (let i = 1; i <= 2_000; i++) {
        yield* list.place(`n${String(i).padStart(4, "0")}`, { after: "A" })
        fault ??= faultIn(list.ranks())
      }
      expect(fault).toBeNull()
      const inserted = Array.from({ length: 2_000 }, (_, i) => `n${String(2_000 - i).padStart(4, "0")}`)
      expect(list.order()).toStrictEqual(["top", "A", ...inserted, "B", "bottom"])
      // About five insertions per character: a rebalance every hundred and more, not every time.
      expect(list.state.rebalances).toBeGreaterThan(5)
      expect(list.state.rebalances).toBeLessThan(2_000 / 100)
    }))

  it.effect("two items moved alternately into one gap, between both anchors: the bound holds", () =>
    Effect.gen(function* () {
      const list = aList(["A", "B", "C", "D"])
      let fault: string | null = null
      for (let i = 0; i < 2_000; i++) {
        yield* list.place(i % 2 === 0 ? "C" : "B", { after: "A", before: i % 2 === 0 ? "B" : "C" })
        fault ??= faultIn(list.ranks())
      }
      expect(fault).toBeNull()
      expect(list.order()).toStrictEqual(["A", "B", "C", "D"])
      expect(list.state.rebalances).toBeGreaterThan(5)
    }))

  it.effect("appends and prepends, interleaved: ordered, short, and no rebalance needed", () =>
    Effect.gen(function* () {
      const list = aList(["middle"])
      for (let i = 1; i <= 1_000; i++) yield* list.place(`e${i}`, { position: i % 2 === 0 ? "top" : "bottom" })
      const ranks = list.ranks()
      expectShortAndStrictlyOrdered(ranks)
      expect(Math.max(...ranks.map((key) => key.length))).toBeLessThanOrEqual(3)
      expect(list.state.rebalances).toBe(0)
      const tops = Array.from({ length: 500 }, (_, i) => `e${1_000 - 2 * i}`)
      const bottoms = Array.from({ length: 500 }, (_, i) => `e${2 * i + 1}`)
      expect(list.order()).toStrictEqual([...tops, "middle", ...bottoms])
    }))
})

describe("Placement.placeRank", () => {
  // A list A(B) < B(D) < C(F), queried the way the repositories answer `neighbourRank`.
  const list: ReadonlyArray<Ranked<string>> = [
    { id: "a", rank: "B" },
    { id: "b", rank: "D" },
    { id: "c", rank: "F" }
  ]
  const neighbour = (anchor: Ranked<string> | null, direction: "after" | "before") =>
    Effect.sync(() => {
      const found =
        anchor === null
          ? direction === "after" ? list[0] : list.at(-1)
          : direction === "after" ? list.find((x) => x.rank > anchor.rank) : [...list].reverse().find((x) => x.rank < anchor.rank)
      return Option.fromNullable(found?.rank)
    })
  const [a, b, c] = [list[0]!, list[1]!, list[2]!]
  const place = (after: Ranked<string> | null, before: Ranked<string> | null, position: "top" | "bottom" = "bottom") =>
    placeRank({ after, before, position, neighbour, rebalance: noRebalance })

  it.effect("puts an item right after its anchor, before the anchor's next neighbour", () =>
    Effect.gen(function* () {
      const rank = yield* place(a, null)
      expect(rank > a.rank && rank < b.rank).toBe(true)
      const last = yield* place(c, null)
      expect(last > c.rank).toBe(true)
    })
  )

  it.effect("puts an item right before its anchor, after the anchor's previous neighbour", () =>
    Effect.gen(function* () {
      const rank = yield* place(null, c)
      expect(rank > b.rank && rank < c.rank).toBe(true)
      const top = yield* place(null, a)
      expect(top < a.rank).toBe(true)
    })
  )

  it.effect("puts an item between two given anchors", () =>
    Effect.gen(function* () {
      const rank = yield* place(a, b)
      expect(rank > a.rank && rank < b.rank).toBe(true)
    })
  )

  it.effect("rejects anchors given in the wrong order, naming beforeId", () =>
    Effect.gen(function* () {
      yield* place(b, a).pipe(expectInvalid("beforeId"))
      yield* place(a, a).pipe(expectInvalid("beforeId"))
    })
  )

  it.effect("orders equal ranks by id, so a tie still has a defined before and after", () =>
    Effect.gen(function* () {
      const rank = yield* placeRank<string>({ after: { id: "x", rank: "D" }, before: { id: "y", rank: "D" }, position: "bottom", neighbour, rebalance: noRebalance })
      expect(rank > "D").toBe(true)
    })
  )

  it.effect("without anchors, goes to the top or the bottom of the list", () =>
    Effect.gen(function* () {
      expect((yield* place(null, null, "top")) < a.rank).toBe(true)
      expect((yield* place(null, null, "bottom")) > c.rank).toBe(true)
      const empty = placeRank<string>({ after: null, before: null, position: "top", neighbour: () => Effect.succeed(Option.none()), rebalance: noRebalance })
      expect(yield* empty).toBe(Rank.first)
    })
  )
})
