/**
 * Lua scripts for the Redis Streams transport, and decoders for their replies. A script runs
 * atomically and in one round trip, which is why these are scripts: reading several streams
 * with a shared count, claiming with delivery counts, and trimming against the groups'
 * positions (which must not move between looking and trimming) each take several commands.
 */
import { Schema } from "effect"

/**
 * KEYS: the priority streams in this read's order. ARGV: group, consumer, count.
 * Takes new entries (`>`) from each stream in turn until `count` are taken: `{1, {{key, entries}}}`.
 * When there are none, `{0, newestIds}`: each stream's newest id, so the caller can block on
 * `XREAD` for anything after them without taking it (the blocking call claims nothing, so an
 * interrupted or abandoned wait leaves no entry pending).
 */
export const readNewScript = `
local taken = {}
local remaining = tonumber(ARGV[3])
for i = 1, #KEYS do
  if remaining <= 0 then break end
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', remaining, 'STREAMS', KEYS[i], '>')
  if reply then
    local entries = reply[1][2]
    remaining = remaining - #entries
    taken[#taken + 1] = {KEYS[i], entries}
  end
end
if #taken > 0 then return {1, taken} end
local newest = {}
for i = 1, #KEYS do
  local last = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
  newest[i] = last[1] and last[1][1] or '0-0'
end
return {0, newest}
`

/**
 * KEYS: the priority streams. ARGV: group, this consumer, minIdleMs. Removes from the group, on
 * every stream, each other consumer that holds no pending entry and has not touched the stream
 * for `minIdleMs`: a process that died, whose entries others have already claimed. Looking and
 * deleting in one script matters: `XGROUP DELCONSUMER` drops the consumer's pending entries with
 * it, and between a separate look and the delete the consumer could have taken some. A group or
 * stream that is missing is skipped. Answers how many were removed.
 */
export const pruneConsumersScript = `
local removed = 0
for i = 1, #KEYS do
  local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[i], ARGV[1])
  if ok then
    for _, consumer in ipairs(consumers) do
      local info = {}
      for j = 1, #consumer, 2 do info[consumer[j]] = consumer[j + 1] end
      if info['name'] ~= ARGV[2] and tonumber(info['pending']) == 0 and tonumber(info['idle']) >= tonumber(ARGV[3]) then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[i], ARGV[1], info['name'])
        removed = removed + 1
      end
    end
  end
end
return removed
`

/**
 * KEYS: the priority streams, highest first. ARGV: group, consumer, minIdleMs, count, then one
 * XAUTOCLAIM cursor per key. Claims up to `count` entries idle for `minIdleMs` and answers, per
 * stream, `{key, nextCursor, {{id, fields, deliveryCount}}}` (XAUTOCLAIM does not report the
 * delivery count, XPENDING does).
 */
export const claimScript = `
local out = {}
local remaining = tonumber(ARGV[4])
for i = 1, #KEYS do
  local cursor = ARGV[4 + i]
  local claimed = {}
  if remaining > 0 then
    local reply = redis.call('XAUTOCLAIM', KEYS[i], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', remaining)
    cursor = reply[1]
    for _, entry in ipairs(reply[2]) do
      if entry and entry[2] then
        local info = redis.call('XPENDING', KEYS[i], ARGV[1], entry[1], entry[1], 1)
        claimed[#claimed + 1] = {entry[1], entry[2], info[1][4]}
      end
    end
    remaining = remaining - #claimed
  end
  out[#out + 1] = {KEYS[i], cursor, claimed}
end
return out
`

/**
 * KEYS[1]: one stream. Trims below the lowest position any group still needs: its oldest pending
 * entry, or the entry after its last delivered one when nothing is pending. Every entry below
 * that has been delivered to and acknowledged by every group. A stream without groups is left
 * alone. Answers the number of entries deleted.
 */
export const trimScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local minMs, minSeq
local function consider(id, step)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  ms, seq = tonumber(ms), tonumber(seq) + step
  if minMs == nil or ms < minMs or (ms == minMs and seq < minSeq) then minMs, minSeq = ms, seq end
end
for _, group in ipairs(groups) do
  local info = {}
  for j = 1, #group, 2 do info[group[j]] = group[j + 1] end
  local pending = redis.call('XPENDING', KEYS[1], info['name'])
  if pending[1] > 0 then consider(pending[2], 0) else consider(info['last-delivered-id'], 1) end
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', minMs, minSeq))
`

/** A stream entry's fields, flat: `[name, value, name, value, ...]`. */
const Fields = Schema.Array(Schema.String)
const Entry = Schema.Tuple(Schema.String, Fields)

export const ReadNewReply = Schema.Union(
  Schema.Tuple(Schema.Literal(1), Schema.Array(Schema.Tuple(Schema.String, Schema.Array(Entry)))),
  Schema.Tuple(Schema.Literal(0), Schema.Array(Schema.String))
)

export const ClaimReply = Schema.Array(
  Schema.Tuple(Schema.String, Schema.String, Schema.Array(Schema.Tuple(Schema.String, Fields, Schema.Number)))
)

/** One group of `XINFO GROUPS`, flat as Redis sends it; `lag` and `entries-read` may be nil. */
export const GroupsReply = Schema.Array(Schema.Array(Schema.Union(Schema.String, Schema.Number, Schema.Null)))

/** The value of field `name` in a flat field list. */
export const field = (fields: ReadonlyArray<string | number | null>, name: string): string | number | null | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]
  return undefined
}
