import { Effect, HashMap, Layer } from "effect"
import { InboxRepository } from "../InboxRepository.js"
import { MemoryStore, ok } from "./MemoryStore.js"

const inboxKey = (handler: string, eventId: string): string => `${handler}/${eventId}`

export const MemoryInboxRepository = Layer.effect(
  InboxRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return InboxRepository.of({
      // As `ON CONFLICT DO NOTHING`; the unit's permit stands in for the row lock that makes a
      // concurrent insert of the same pair wait for the first one's commit.
      record: (handler, eventId, handledAt) =>
        store.write((t) => {
          const key = inboxKey(handler, eventId)
          return HashMap.has(t.inbox, key) ? ok(false, t) : ok(true, { ...t, inbox: HashMap.set(t.inbox, key, handledAt) })
        }),
      recordMany: (handler, eventIds, handledAt) =>
        store.write((t) => {
          let inbox = t.inbox
          const fresh = new Set<(typeof eventIds)[number]>()
          for (const eventId of eventIds) {
            const key = inboxKey(handler, eventId)
            if (HashMap.has(inbox, key)) continue
            inbox = HashMap.set(inbox, key, handledAt)
            fresh.add(eventId)
          }
          return ok(fresh, { ...t, inbox })
        }),
      contains: (handler, eventId) => store.read((t) => HashMap.has(t.inbox, inboxKey(handler, eventId)))
    })
  })
)
