import { Array as Arr, Effect, HashMap, Layer, Order } from "effect"
import type { ActivityEntry } from "../../domain/Activity.js"
import { ActivityRepository } from "../ActivityRepository.js"
import { MemoryStore, ok } from "./MemoryStore.js"
import { byId, rowsOf } from "./Query.js"

const newestFirst = Order.reverse(byId)

export const MemoryActivityRepository = Layer.effect(
  ActivityRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return ActivityRepository.of({
      // As `ON CONFLICT (id) DO NOTHING`.
      record: (entry) =>
        store.write((t) =>
          HashMap.has(t.activity, entry.id) ? ok(false, t) : ok(true, { ...t, activity: HashMap.set(t.activity, entry.id, entry) })
        ),
      recordMany: (entries) =>
        store.write((t) => {
          let activity = t.activity
          let stored = 0
          for (const entry of entries) {
            if (HashMap.has(activity, entry.id)) continue
            activity = HashMap.set(activity, entry.id, entry)
            stored += 1
          }
          return ok(stored, { ...t, activity })
        }),
      list: (query) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.activity).filter(
              (entry: ActivityEntry) =>
                entry.projectId === query.projectId &&
                (query.types.length === 0 || query.types.includes(entry.type)) &&
                (query.before === null || entry.id < query.before)
            ),
            newestFirst
          ).slice(0, query.limit)
        ),
      deleteProject: (projectId) =>
        store.write((t) => ok(undefined, { ...t, activity: HashMap.filter(t.activity, (entry) => entry.projectId !== projectId) }))
    })
  })
)
