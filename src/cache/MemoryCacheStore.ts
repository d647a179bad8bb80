import { Clock, Duration, Effect, Layer } from "effect"
import { CacheStore } from "./CacheStore.js"

interface Slot {
  readonly value: string
  readonly expiresAt: number
}

/**
 * The in-process adapter: embedded mode (one process, PGlite's lock sees to that) and tests.
 * Expiry reads the `Clock`, so `TestClock` drives it. Beyond `capacity` the least recently used
 * entry goes (a `Map` keeps insertion order; a hit moves its entry to the end).
 */
export const makeMemoryCacheStore = (capacity: number) =>
  Effect.sync(() => {
    const slots = new Map<string, Slot>()
    const live = (key: string, now: number): string | null => {
      const slot = slots.get(key)
      if (slot === undefined) return null
      slots.delete(key)
      if (slot.expiresAt <= now) return null
      slots.set(key, slot)
      return slot.value
    }
    const put = (key: string, value: string, ttl: Duration.Duration, now: number) => {
      slots.delete(key)
      slots.set(key, { value, expiresAt: now + Duration.toMillis(ttl) })
      while (slots.size > capacity) {
        const oldest = slots.keys().next()
        if (oldest.done === true) break
        slots.delete(oldest.value)
      }
    }
    return CacheStore.of({
      kind: "memory",
      getMany: (keys) => Effect.map(Clock.currentTimeMillis, (now) => keys.map((key) => live(key, now))),
      set: (key, value, ttl) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => put(key, value, ttl, now))),
      setIfAbsent: (key, value, ttl) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            if (live(key, now) !== null) return false
            put(key, value, ttl, now)
            return true
          })
        ),
      delete: (keys) => Effect.sync(() => keys.forEach((key) => slots.delete(key)))
    })
  })

export const MemoryCacheStoreLive = (capacity: number): Layer.Layer<CacheStore> => Layer.effect(CacheStore, makeMemoryCacheStore(capacity))
