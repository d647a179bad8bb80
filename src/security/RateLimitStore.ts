import { Clock, Context, Data, Effect, Layer } from "effect"
import { blockLength, type Decision, decide, type Policy } from "./Gcra.js"

export class RateLimitStoreError extends Data.TaggedError("RateLimitStoreError")<{ readonly operation: string; readonly cause: unknown }> {}

/** One budget a request spends: its key (`key:<prefix>:read`, `address:<ip>:anonymous`), size and cost. */
export interface Charge {
  readonly key: string
  readonly policy: Policy
  readonly cost: number
}

/**
 * What a request may do: refused outright because one of its subjects is blocked, or decided
 * by its budgets: all-or-nothing, a refused request spends none of them.
 */
export type Admission =
  | { readonly _tag: "Blocked"; readonly subject: string; readonly retryAfterMs: number }
  | { readonly _tag: "Decided"; readonly decisions: ReadonlyArray<Decision> }

/** A failed authentication, charged to each subject (an address, a key prefix). */
export interface Failure {
  readonly subjects: ReadonlyArray<string>
  /** Failures allowed per window before a block. */
  readonly policy: Policy
  readonly baseMs: number
  readonly maxMs: number
}

/** A subject this failure blocked (it was not blocked before). */
export interface NewBlock {
  readonly subject: string
  readonly durationMs: number
  /** Blocks of this subject within the last day, this one included. */
  readonly strikes: number
}

/**
 * Where budgets and blocks are kept: Redis, shared by every API process of a deployment, or
 * this process's memory (embedded mode, tests, and the fallback while Redis is away).
 */
export class RateLimitStore extends Context.Tag("flowboard/RateLimitStore")<
  RateLimitStore,
  {
    readonly kind: "redis" | "memory"
    readonly admit: (blocks: ReadonlyArray<string>, charges: ReadonlyArray<Charge>) => Effect.Effect<Admission, RateLimitStoreError>
    readonly fail: (failure: Failure) => Effect.Effect<ReadonlyArray<NewBlock>, RateLimitStoreError>
  }
>() {}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * A map that forgets: entries expire, and beyond `capacity` the least recently used go first,
 * so a flood of addresses costs bounded memory.
 */
class Expiring {
  private readonly entries = new Map<string, { value: number; expiresAt: number }>()
  constructor(private readonly capacity: number) {}
  get(key: string, now: number): number | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }
  remaining(key: string, now: number): number {
    const entry = this.entries.get(key)
    return entry === undefined || entry.expiresAt <= now ? 0 : entry.expiresAt - now
  }
  set(key: string, value: number, expiresAt: number): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt })
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
  }
  delete(key: string): void {
    this.entries.delete(key)
  }
  get size(): number {
    return this.entries.size
  }
}

/** The in-process store: the same decisions as Redis's script, on Effect's `Clock`. */
export const makeMemoryRateLimitStore = (capacity: number): typeof RateLimitStore.Service => {
  const tats = new Expiring(capacity)
  const blocks = new Expiring(capacity)
  const strikes = new Expiring(capacity)
  return RateLimitStore.of({
    kind: "memory",
    admit: (subjects, charges) =>
      Effect.map(Clock.currentTimeMillis, (now): Admission => {
        for (const subject of subjects) {
          const left = blocks.remaining(subject, now)
          if (left > 0) return { _tag: "Blocked", subject, retryAfterMs: left }
        }
        const decisions = charges.map((charge) => decide(tats.get(charge.key, now), now, charge.policy, charge.cost))
        if (decisions.every((d) => d.allowed)) {
          decisions.forEach((d, i) => tats.set(charges[i]!.key, d.tat, d.tat))
        }
        return { _tag: "Decided", decisions }
      }),
    fail: (failure) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const blocked: Array<NewBlock> = []
        for (const subject of failure.subjects) {
          const counter = `failures:${subject}`
          const decision = decide(tats.get(counter, now), now, failure.policy, 1)
          if (decision.allowed) {
            tats.set(counter, decision.tat, decision.tat)
            continue
          }
          if (blocks.remaining(subject, now) > 0) continue
          const strike = (strikes.get(subject, now) ?? 0) + 1
          strikes.set(subject, strike, now + DAY_MS)
          const durationMs = blockLength(strike, failure.baseMs, failure.maxMs)
          blocks.set(subject, 1, now + durationMs)
          tats.delete(counter)
          blocked.push({ subject, durationMs, strikes: strike })
        }
        return blocked
      })
  })
}

export const MemoryRateLimitStoreLive = (capacity: number) => Layer.sync(RateLimitStore, () => makeMemoryRateLimitStore(capacity))
