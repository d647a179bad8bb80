import { Duration } from "effect"
import type { OutboxEnvelope } from "../domain/Events.js"

/**
 * The position of one process's tail of the outbox. Ids are UUIDv7 (48 bits of milliseconds
 * first), so "after the watermark" is nearly commit order; an event whose transaction commits
 * after later ones did is found by reading the window behind the watermark again, and `seen`
 * keeps that re-reading from publishing anything twice.
 */
export interface TailState {
  readonly watermark: string
  readonly seen: ReadonlySet<string>
}

/** The smallest id minted at `millis` or later: the timestamp with every other bit zero. */
export const idAt = (millis: number): string => {
  const hex = Math.max(0, Math.floor(millis)).toString(16).padStart(12, "0").slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`
}

/** The milliseconds a UUIDv7 was minted at. */
export const millisOf = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

/** The start of the window re-read behind `watermark`. */
export const windowStart = (watermark: string, lookback: Duration.DurationInput): string =>
  idAt(millisOf(watermark) - Duration.toMillis(Duration.decode(lookback)))

/** A tail starting now: history is the replay's business, not the live stream's. */
export const initialTail = (nowMillis: number): TailState => ({ watermark: idAt(nowMillis), seen: new Set() })

/**
 * The next state after reading `late` (the window, possibly seen already) and `fresh` (after the
 * watermark, in id order), and the events not seen before, in id order.
 */
export const advance = (
  state: TailState,
  late: ReadonlyArray<OutboxEnvelope>,
  fresh: ReadonlyArray<OutboxEnvelope>,
  lookback: Duration.DurationInput
): readonly [TailState, ReadonlyArray<OutboxEnvelope>] => {
  const unseen = [...late, ...fresh].filter((event) => !state.seen.has(event.id))
  const watermark = fresh.at(-1)?.id ?? state.watermark
  const start = windowStart(watermark, lookback)
  const seen = new Set([...state.seen, ...unseen.map((event) => event.id)].filter((id) => id > start))
  return [{ watermark, seen }, unseen]
}
