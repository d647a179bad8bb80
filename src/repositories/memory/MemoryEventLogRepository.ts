import { Array as Arr, Effect, Layer, Option } from "effect"
import { projectIdOf } from "../../domain/Activity.js"
import { EventLogRepository } from "../EventLogRepository.js"
import { MemoryStore } from "./MemoryStore.js"
import { byId, rowsOf } from "./Query.js"

export const MemoryEventLogRepository = Layer.effect(
  EventLogRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return EventLogRepository.of({
      projectEventsAfter: (projectId, after, limit) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.outbox).filter(
              (event) => (after === null || event.id > after) && Option.contains(projectIdOf(event), projectId)
            ),
            byId
          ).slice(0, limit)
        ),
      range: (after, upTo, limit) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.outbox).filter((event) => (after === null || event.id > after) && (upTo === null || event.id <= upTo)),
            byId
          ).slice(0, limit)
        )
    })
  })
)
