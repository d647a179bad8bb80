/**
 * Fractional ordering keys. A position in a column is a string; items sort by (rank, id).
 * Moving an item computes one new key strictly between its new neighbours, so a move writes
 * exactly one row and two concurrent moves can at worst produce equal keys, which the id
 * tie-break still orders deterministically: the order is never corrupted.
 *
 * Keys are over the alphabet 0-9A-Za-z (62 digits, ASCII order = digit order) and never end
 * in the smallest digit, so there is always room between two distinct keys.
 */
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const BASE = DIGITS.length
const MID = DIGITS[BASE >> 1]!

const digit = (s: string, i: number, fallback: number): number => (i < s.length ? DIGITS.indexOf(s[i]!) : fallback)

export const isValidRank = (s: string): boolean =>
  s.length > 0 && s.length <= 256 && [...s].every((c) => DIGITS.includes(c)) && !s.endsWith(DIGITS[0]!)

/** A key strictly between `lower` and `upper` (either may be absent: open end). */
export const between = (lower: string | null, upper: string | null): string => {
  if (lower === null && upper === null) return MID
  if (upper === null) return after(lower!)
  if (lower === null) return before(upper)
  // Equal or inverted neighbours (a concurrent tie): place just after `lower`.
  if (lower >= upper) return after(lower)
  let result = ""
  let hiBound: string | null = upper
  for (let i = 0; ; i++) {
    const lo = digit(lower, i, 0)
    const hi = hiBound === null ? BASE : digit(hiBound, i, BASE)
    if (hi - lo > 1) return result + DIGITS[(lo + hi) >> 1]!
    // No room at this digit: keep the lower digit and look further right.
    result += DIGITS[lo]!
    // Once we are strictly below the upper bound's prefix, it no longer constrains us.
    if (hi - lo === 1) hiBound = null
  }
}

// Appending at an open end steps by one digit rather than halving, so keys of a column that
// only ever grows at the bottom lengthen by one character per ~60 appends.
const after = (lower: string): string => {
  for (let i = 0; ; i++) {
    const d = digit(lower, i, 0)
    if (d < BASE - 1) return lower.slice(0, i) + DIGITS[d + 1]!
  }
}

const before = (upper: string): string => {
  for (let i = 0; ; i++) {
    const d = digit(upper, i, 0)
    if (d > 1) return upper.slice(0, i) + DIGITS[d - 1]!
    if (d === 1) return upper.slice(0, i) + DIGITS[0]! + DIGITS[BASE - 1]!
  }
}

/** `n` evenly spread keys, for seeding a column. */
export const spread = (n: number): ReadonlyArray<string> => {
  const keys: Array<string> = []
  let previous: string | null = null
  for (let i = 0; i < n; i++) {
    previous = between(previous, null)
    keys.push(previous)
  }
  return keys
}

export const first = MID
