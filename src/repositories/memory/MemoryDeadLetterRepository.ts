import { DateTime, Effect, HashMap, Layer, Option } from "effect"
import { DeadLetter } from "../../domain/DeadLetter.js"
import { DeadLetterRepository } from "../DeadLetterRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { pageAfter, rowsOf } from "./Query.js"

export const MemoryDeadLetterRepository = Layer.effect(
  DeadLetterRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const update = (id: string, change: (letter: DeadLetter) => DeadLetter) =>
      store.write((t) =>
        Option.match(HashMap.get(t.deadLetters, id), {
          onNone: () => ok(false, t),
          onSome: (letter) => ok(true, { ...t, deadLetters: HashMap.set(t.deadLetters, id, change(letter)) })
        })
      )

    return DeadLetterRepository.of({
      // The upsert of the SQL adapter: ON CONFLICT (handler, event_id) folds into the letter.
      record: ({ createdAt, envelope, failure, handler, id }) =>
        store.write((t) => {
          const existing = rowsOf(t.deadLetters).find((l) => l.handler === handler && l.eventId === envelope.id)
          if (existing === undefined && HashMap.has(t.deadLetters, id)) return violation(`dead_letters: duplicate id ${id}`)
          const letter =
            existing === undefined
              ? new DeadLetter({
                  id, handler, eventId: envelope.id, eventType: envelope.type, envelope, ...failure,
                  status: "pending", replayedAt: null, replayedBy: null, createdAt
                })
              : new DeadLetter({
                  ...existing,
                  ...failure,
                  attempts: existing.attempts + failure.attempts,
                  firstFailedAt: DateTime.min(existing.firstFailedAt, failure.firstFailedAt),
                  status: "pending",
                  replayedAt: null,
                  replayedBy: null
                })
          return ok(letter, { ...t, deadLetters: HashMap.set(t.deadLetters, letter.id, letter) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.deadLetters, id)),
      list: (filter, page) =>
        store.read((t) =>
          pageAfter(
            rowsOf(t.deadLetters).filter(
              (l) => (filter.handler === null || l.handler === filter.handler) && (filter.status === null || l.status === filter.status)
            ),
            page
          )
        ),
      markReplayed: (id, by, at) => update(id, (l) => new DeadLetter({ ...l, status: "replayed", replayedAt: at, replayedBy: by })),
      remove: (id) =>
        store.write((t) =>
          HashMap.has(t.deadLetters, id) ? ok(true, { ...t, deadLetters: HashMap.remove(t.deadLetters, id) }) : ok(false, t)
        )
    })
  })
)
