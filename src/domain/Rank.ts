/**
 * Fractional ordering keys. A position in a column is a string; items sort by (rank, id).
 * Moving an item computes one new key strictly between its new neighbours, so a move writes
 * exactly one row and two concurrent moves can at worst produce equal keys, which the id
 * tie-break still orders deterministically: the order is never corrupted.
 *
 * Keys are over the alphabet 0-9A-Za-z (62 digits, ASCII order = digit order) and never end
 * in the smallest digit, so there is always room between two distinct keys.
 *
 * Room is not length: inserting into the same gap again and again lengthens the key by a
 * character every five or six times, whatever the scheme. So a list whose new key would be
 * longer than `MAX_LENGTH` is given fresh keys from `spread` instead (`Placement.keepShort`).
 */
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const BASE = DIGITS.length
const MID = DIGITS[BASE >> 1]!

/**
 * The longest key a list keeps. A key of up to 32 bytes stays a short Postgres varlena and a
 * small index entry, and after a rebalance (keys of 1 to 5 characters for up to ~458 million
 * items) one gap takes well over a hundred more insertions before the next: people never get
 * there, only something hammering one gap does.
 */
export const MAX_LENGTH = 32

/** An item's place in its list: ordered by rank, ties by id. */
export interface Ranked<Id> {
  readonly rank: string
  readonly id: Id
}

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

/** How many leading digits of `key` are the digit `d`. */
const leading = (key: string, d: number): number => {
  let i = 0
  while (i < key.length && digit(key, i, 0) === d) i++
  return i
}

/**
 * `key` cut or padded (with the smallest digit) to `position + 1` digits, plus `delta` units
 * of the digit at `position`, carrying as needed, without trailing smallest digits.
 */
const step = (key: string, position: number, delta: 1 | -1): string => {
  const digits = Array.from({ length: position + 1 }, (_, i) => digit(key, i, 0))
  let i = position
  digits[i] += delta
  while (i > 0 && (digits[i] === BASE || digits[i] < 0)) {
    digits[i] = delta > 0 ? 0 : BASE - 1
    digits[--i] += delta
  }
  let end = digits.length
  while (end > 0 && digits[end - 1] === 0) end--
  return digits.slice(0, end).map((d) => DIGITS[d]!).join("")
}

// Appending at an open end: with k top digits leading the last key, step one unit of the digit
// at position 2k. The k-th level holds about 61·62^k appends in keys of up to 2k + 1 characters,
// so n appends need about 2·log62(n) + 1 (5 for the first ~238,000, 7 for ~14.7 million), where
// stepping the first non-top digit (the old way) grew by a character per ~60 appends. The first
// 30 appends still take "W".."z".
const after = (lower: string): string => step(lower, 2 * leading(lower, BASE - 1), 1)

// Prepending mirrors appending, with the smallest digit; a key cannot end in it, so below "1"
// (where one digit would leave nothing) the step goes two digits deeper ("0zz").
const before = (upper: string): string => {
  const zeros = leading(upper, 0)
  const key = step(upper, 2 * zeros, -1)
  return key.length > 0 ? key : step(upper, 2 * zeros + 2, -1)
}

/**
 * `n` evenly spread keys of one length, the shortest that holds them at least two units apart:
 * for seeding a list and for rebalancing one. (One digit holds 30 keys, two 1,921, three
 * 119,163, four about 7.4 million, five about 458 million.)
 */
export const spread = (n: number): ReadonlyArray<string> => {
  if (n <= 0) return []
  let length = 1
  while (BASE ** length < 2 * (n + 1)) length++
  const size = BigInt(BASE) ** BigInt(length)
  const gaps = BigInt(n + 1)
  return Array.from({ length: n }, (_, i) => {
    // round((i + 1) · size / (n + 1)); keys are at least two units apart, so moving one that
    // would end in the smallest digit up by one unit keeps them apart and in order.
    const value = (BigInt(2 * (i + 1)) * size + gaps) / (2n * gaps)
    return toDigits(value % BigInt(BASE) === 0n ? value + 1n : value, length)
  })
}

const toDigits = (value: bigint, length: number): string => {
  const digits: Array<string> = []
  let rest = value
  for (let i = 0; i < length; i++) {
    digits.push(DIGITS[Number(rest % BigInt(BASE))]!)
    rest /= BigInt(BASE)
  }
  return digits.reverse().join("")
}

export const first = MID
