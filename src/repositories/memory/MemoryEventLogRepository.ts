import { Array as Arr, Effect, Layer } from "effect"
import type { OutboxEnvelope } from "../../domain/Events.js"
import { EventLogRepository } from "../EventLogRepository.js"
import { MemoryStore } from "./MemoryStore.js"
import { byId, rowsOf } from "./Query.js"

/** As the SQL adapter selects them: the project's own events, and task events naming it in `payload.projectId`. */
const concerns = (event: OutboxEnvelope, projectId: string) =>
  event.aggregateType === "project" ? event.aggregateId === projectId : event.aggregateType === "task" && event.payload["projectId"] === projectId

export const MemoryEventLogRepository = Layer.effect(
  EventLogRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return EventLogRepository.of({
      projectEventsAfter: (projectId, after, limit) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.outbox).filter(
              (event) => (after === null || event.id > after) && concerns(event, projectId)
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
