import { Array as Arr, Effect, HashMap, Layer } from "effect"
import { OutboxRepository } from "../OutboxRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { byId, rowsOf } from "./Query.js"

export const MemoryOutboxRepository = Layer.effect(
  OutboxRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return OutboxRepository.of({
      // One multi-row INSERT: a duplicate id anywhere in the batch stores none of it.
      append: (events) =>
        store.write((t) => {
          let outbox = t.outbox
          for (const event of events) {
            if (HashMap.has(outbox, event.id)) return violation(`outbox: duplicate id ${event.id}`)
            outbox = HashMap.set(outbox, event.id, event)
          }
          return ok(undefined, { ...t, outbox })
        }),
      listAll: store.read((t) => Arr.sort(rowsOf(t.outbox), byId))
    })
  })
)
