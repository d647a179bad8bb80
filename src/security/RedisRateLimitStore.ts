import { Duration, Effect, Layer, type Redacted, type Scope } from "effect"
import { createHash } from "node:crypto"
import { failFastClient, observeCommand } from "../events/Redis.js"
import { guardRedis } from "../resilience/Breakers.js"
import type { Decision } from "./Gcra.js"
import { type Admission, type NewBlock, RateLimitStore, RateLimitStoreError } from "./RateLimitStore.js"

/**
 * GCRA (Gcra.ts) over Redis, one script per request, on Redis's clock (`TIME`), so that API
 * processes whose clocks disagree still share one budget. KEYS: the block keys, then the budget
 * keys. ARGV: the number of block keys, then `limit, periodMs, cost` per budget.
 * Answers `{0, i, pttl}` when block `i` is in force, else `{1, allowed, remaining, retryAfter,
 * reset, ...}` per budget; the budgets are written only when all allow (a refusal spends none).
 * A budget's key expires when it would be full again: an idle client costs nothing.
 */
const admitScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocks = tonumber(ARGV[1])
for i = 1, blocks do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > 0 then return {0, i, ttl} end
end
local out = {1}
local nexts = {}
local all = true
for j = blocks + 1, #KEYS do
  local a = 2 + (j - blocks - 1) * 3
  local limit = tonumber(ARGV[a])
  local period = tonumber(ARGV[a + 1])
  local cost = tonumber(ARGV[a + 2])
  local interval = period / limit
  local tat = tonumber(redis.call('GET', KEYS[j]) or now)
  if tat < now then tat = now end
  local nxt = tat + cost * interval
  if nxt - now > period then
    all = false
    for _, v in ipairs({0, 0, math.ceil(nxt - now - period), math.ceil(tat - now)}) do out[#out + 1] = v end
  else
    nexts[j] = nxt
    for _, v in ipairs({1, math.floor((period - (nxt - now)) / interval), 0, math.ceil(nxt - now)}) do out[#out + 1] = v end
  end
end
if all then
  for j, nxt in pairs(nexts) do
    redis.call('SET', KEYS[j], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
  end
end
return out
`

/**
 * KEYS: per subject its failure counter, its strike count and its block. ARGV: limit, periodMs,
 * baseMs, maxMs. A failure beyond the limit blocks the subject (unless it already is) for
 * base · 2^(strikes−1), capped; strikes are kept for a day. Answers `{durationMs, strikes}` per
 * subject, `{0, 0}` where this failure blocked nothing new.
 */
const failScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local interval = period / limit
local out = {}
for i = 1, #KEYS, 3 do
  local counter, strikes, block = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local tat = tonumber(redis.call('GET', counter) or now)
  if tat < now then tat = now end
  local nxt = tat + interval
  if nxt - now <= period then
    redis.call('SET', counter, string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
    out[#out + 1] = 0
    out[#out + 1] = 0
  elseif redis.call('PTTL', block) > 0 then
    out[#out + 1] = 0
    out[#out + 1] = 0
  else
    local n = redis.call('INCR', strikes)
    redis.call('PEXPIRE', strikes, 86400000)
    local length = math.min(max, base * 2 ^ math.min(n - 1, 30))
    redis.call('SET', block, '1', 'PX', length)
    redis.call('DEL', counter)
    out[#out + 1] = length
    out[#out + 1] = n
  end
end
return out
`

const sha1 = (script: string) => createHash("sha1").update(script).digest("hex")

const numbers = (reply: unknown): ReadonlyArray<number> | null =>
  Array.isArray(reply) && reply.every((n): n is number => typeof n === "number") ? reply : null

const decodeAdmission = (reply: ReadonlyArray<number>): Admission | null => {
  if (reply[0] === 0) return { _tag: "Blocked", subject: String(reply[1]), retryAfterMs: reply[2] ?? 0 }
  const decisions: Array<Decision> = []
  for (let i = 1; i + 3 < reply.length; i += 4) {
    decisions.push({ allowed: reply[i] === 1, remaining: reply[i + 1]!, retryAfterMs: reply[i + 2]!, resetMs: reply[i + 3]!, tat: 0 })
  }
  return { _tag: "Decided", decisions }
}

export interface RedisRateLimitOptions {
  readonly url: Redacted.Redacted
  /** The deployment's `REDIS_PREFIX`; the limiter's keys go under `<prefix>rl:`. */
  readonly prefix: string
  /** A check not answered by then fails (and is made locally by the caller). */
  readonly timeout: Duration.Duration
}

/**
 * A fail-fast connection of its own (`failFastClient`): while Redis is away a check must not
 * wait, the limiter falls back to its local store at once. Every call goes through the `redis`
 * breaker.
 */
export const makeRedisRateLimitStore = (options: RedisRateLimitOptions): Effect.Effect<typeof RateLimitStore.Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* failFastClient({
      url: options.url,
      role: "ratelimit",
      timeoutMs: Math.max(1, Duration.toMillis(options.timeout)),
      readyWithinMs: 250,
      lost: "Redis rate-limit connection lost; each process limits on its own",
      restored: "Redis rate-limit connection restored: budgets are shared again"
    })

    const key = (k: string) => `${options.prefix}rl:${k}`
    /** `EVALSHA`, loading the script on Redis's first `NOSCRIPT` (after a restart, or the first call). */
    const run = (command: string, script: string, digest: string, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) =>
      Effect.tryPromise({
        try: () =>
          client.evalsha(digest, keys.length, ...keys, ...args).catch((error: unknown) => {
            if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return client.eval(script, keys.length, ...keys, ...args)
            throw error
          }),
        catch: (cause) => new RateLimitStoreError({ operation: command, cause })
      }).pipe(
        Effect.timeoutFail({ duration: options.timeout, onTimeout: () => new RateLimitStoreError({ operation: command, cause: new Error("timeout") }) }),
        (effect) => guardRedis(effect, (open) => new RateLimitStoreError({ operation: command, cause: open })),
        observeCommand(command),
        Effect.flatMap((reply) => {
          const decoded = numbers(reply)
          return decoded === null ? Effect.fail(new RateLimitStoreError({ operation: command, cause: new Error("unexpected reply") })) : Effect.succeed(decoded)
        })
      )
    const admitDigest = sha1(admitScript)
    const failDigest = sha1(failScript)

    return RateLimitStore.of({
      kind: "redis",
      admit: (subjects, charges) =>
        run(
          "RATELIMIT ADMIT",
          admitScript,
          admitDigest,
          [...subjects.map((s) => key(`block:${s}`)), ...charges.map((c) => key(`budget:${c.key}`))],
          [subjects.length, ...charges.flatMap((c) => [c.policy.limit, c.policy.periodMs, c.cost])]
        ).pipe(
          Effect.flatMap((reply) => {
            const admission = decodeAdmission(reply)
            if (admission === null) return Effect.fail(new RateLimitStoreError({ operation: "RATELIMIT ADMIT", cause: new Error("unexpected reply") }))
            // The script names a block by its position among the keys.
            return Effect.succeed(admission._tag === "Blocked" ? { ...admission, subject: subjects[Number(admission.subject) - 1] ?? admission.subject } : admission)
          })
        ),
      fail: (failure) =>
        run(
          "RATELIMIT FAIL",
          failScript,
          failDigest,
          failure.subjects.flatMap((s) => [key(`failures:${s}`), key(`strikes:${s}`), key(`block:${s}`)]),
          [failure.policy.limit, failure.policy.periodMs, failure.baseMs, failure.maxMs]
        ).pipe(
          Effect.map((reply) => {
            const blocked: Array<NewBlock> = []
            failure.subjects.forEach((subject, i) => {
              const durationMs = reply[i * 2] ?? 0
              if (durationMs > 0) blocked.push({ subject, durationMs, strikes: reply[i * 2 + 1] ?? 1 })
            })
            return blocked
          })
        )
    })
  })

export const RedisRateLimitStoreLive = (options: RedisRateLimitOptions): Layer.Layer<RateLimitStore> =>
  Layer.scoped(RateLimitStore, makeRedisRateLimitStore(options))
