/**
 * The generic cell rate algorithm: a budget of `limit` requests per `periodMs`, spent evenly.
 * One number per key, the theoretical arrival time (TAT): when the budget would be full again if
 * no more came. A request of cost `c` moves it `c · periodMs / limit` on; it is refused when that
 * would put the TAT more than a period ahead of now. The whole quota may be spent at once, then
 * it refills continuously. The Redis adapter runs the same arithmetic in a script
 * (RedisRateLimitStore.ts), so both stores decide alike.
 */
export interface Policy {
  readonly limit: number
  readonly periodMs: number
}

export interface Decision {
  readonly allowed: boolean
  /** Requests left in the budget after this one. */
  readonly remaining: number
  /** Refused: when one request fits again. */
  readonly retryAfterMs: number
  /** When the budget is full again. */
  readonly resetMs: number
  /** The TAT to store (unchanged when refused). */
  readonly tat: number
}

export const decide = (storedTat: number | undefined, now: number, policy: Policy, cost: number): Decision => {
  const interval = policy.periodMs / policy.limit
  const tat = Math.max(storedTat ?? now, now)
  const next = tat + cost * interval
  if (next - now > policy.periodMs) {
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(next - now - policy.periodMs), resetMs: Math.ceil(tat - now), tat }
  }
  return {
    allowed: true,
    remaining: Math.floor((policy.periodMs - (next - now)) / interval),
    retryAfterMs: 0,
    resetMs: Math.ceil(next - now),
    tat: next
  }
}

/** A block's length after `strikes` blocks within a day: the base, doubled each time, capped. */
export const blockLength = (strikes: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(strikes - 1, 0), 30))
