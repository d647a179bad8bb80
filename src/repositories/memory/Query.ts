import { Array as Arr, HashMap, Option, Order } from "effect"
import type { PageRequest } from "../../domain/Page.js"

/**
 * Ordering and paging exactly as the SQL adapter's queries do them. Plain string comparison is
 * Postgres `COLLATE "C"` for the ASCII ranks and lower-case UUIDs stored here.
 */
interface Identified {
  readonly id: string
}
interface Ranked extends Identified {
  readonly rank: string
}

export const byId: Order.Order<Identified> = Order.mapInput(Order.string, (row) => row.id)
export const byRankThenId: Order.Order<Ranked> = Order.combine(
  Order.mapInput(Order.string, (row: Ranked) => row.rank),
  byId
)

export const rowsOf = <A>(table: HashMap.HashMap<string, A>): Array<A> => Array.from(HashMap.values(table))

/** `limit + 1` rows in id order after the cursor id: the caller builds the page from them. */
export const pageAfter = <A extends Identified>(rows: ReadonlyArray<A>, page: PageRequest): ReadonlyArray<A> =>
  Arr.sort(
    rows.filter((row) => page.after === null || row.id > page.after),
    byId
  ).slice(0, page.limit + 1)

/** The rank of the row next to `anchor` in (rank, id) order, or the first/last without an anchor. */
export const neighbourRank = <A extends Ranked>(
  rows: ReadonlyArray<A>,
  anchor: Ranked | null,
  direction: "after" | "before",
  exclude: string | null
): Option.Option<string> => {
  const side = direction === "after" ? 1 : -1
  const candidates = Arr.sort(
    rows.filter((row) => row.id !== exclude && (anchor === null || byRankThenId(row, anchor) === side)),
    byRankThenId
  )
  const found = direction === "after" ? Arr.head(candidates) : Arr.last(candidates)
  return Option.map(found, (row) => row.rank)
}

/** `ILIKE '%' || escaped || '%'`: a literal substring, case-insensitive. */
export const containsIgnoringCase = (haystack: string, needle: string): boolean =>
  haystack.toLowerCase().includes(needle.toLowerCase())

/** The rows' places, in (rank, id) order: what `listRanks` answers. */
export const ranksOf = <A extends Ranked>(rows: ReadonlyArray<A>): ReadonlyArray<{ readonly id: A["id"]; readonly rank: string }> =>
  Arr.sort(rows, byRankThenId).map((row) => ({ id: row.id, rank: row.rank }))

/**
 * A rebalance's writes to one table: each listed row that is still in the list (`inList`) gets
 * its new rank through `rerank`. Returns the table and how many rows were rewritten.
 */
export const rewriteRanks = <A>(
  table: HashMap.HashMap<string, A>,
  ranks: ReadonlyArray<{ readonly id: string; readonly rank: string }>,
  inList: (row: A) => boolean,
  rerank: (row: A, rank: string) => A
): readonly [number, HashMap.HashMap<string, A>] => {
  let rows = table
  let count = 0
  for (const { id, rank } of ranks) {
    const row = Option.filter(HashMap.get(rows, id), inList)
    if (Option.isNone(row)) continue
    rows = HashMap.set(rows, id, rerank(row.value, rank))
    count++
  }
  return [count, rows]
}
