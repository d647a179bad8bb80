import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { ActivityEntry } from "../../src/domain/Activity.js"
import { EventId, newId, ProjectId } from "../../src/domain/Ids.js"
import { ActivityRepository } from "../../src/repositories/ActivityRepository.js"
import { expectSame, ids } from "./Assertions.js"
import { at } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

const anEntry = (projectId: ProjectId, fields: Partial<ActivityEntry> = {}): ActivityEntry =>
  new ActivityEntry({
    id: newId(EventId),
    projectId,
    type: "task.created.v1",
    aggregateType: "task",
    aggregateId: "0190a8c4-0000-7000-8000-000000000001",
    actor: "0190a8c4-0000-7000-8000-000000000002",
    occurredAt: at(7),
    summary: "created task #1 “Write docs”",
    payload: { projectId, snake_case: { inner_key: [1, null] } },
    ...fields
  })

export const activityContract = (it: ContractIt) =>
  describe("ActivityRepository", () => {
    it.effect("stores an entry once per event id, exactly as given", () =>
      Effect.gen(function* () {
        const activity = yield* ActivityRepository
        const projectId = newId(ProjectId)
        const entry = anEntry(projectId, { actor: null })
        expect(yield* activity.record(entry)).toBe(true)
        expect(yield* activity.record(anEntry(projectId, { id: entry.id, summary: "again" }))).toBe(false)
        const listed = yield* activity.list({ projectId, types: [], limit: 10, before: null })
        expect(listed).toHaveLength(1)
        expectSame(ActivityEntry, listed[0]!, entry)
      }))

    it.effect("recordMany stores many entries in one call, each event id once, and answers how many were new", () =>
      Effect.gen(function* () {
        const activity = yield* ActivityRepository
        const projectId = newId(ProjectId)
        const [a, b, c] = [anEntry(projectId), anEntry(projectId), anEntry(projectId)]
        expect(yield* activity.record(a)).toBe(true)
        expect(yield* activity.recordMany([c, a, b, c])).toBe(2)
        expect(yield* activity.recordMany([])).toBe(0)
        const listed = yield* activity.list({ projectId, types: [], limit: 10, before: null })
        expect(ids(listed)).toEqual([...ids([a, b, c])].sort().reverse())
        expectSame(ActivityEntry, listed.find((e) => e.id === b.id)!, b)
      }))

    it.effect("lists a project's entries newest first, below a cursor, filtered by type", () =>
      Effect.gen(function* () {
        const activity = yield* ActivityRepository
        const projectId = newId(ProjectId)
        const entries = [
          anEntry(projectId, { type: "project.created.v1" }),
          anEntry(projectId),
          anEntry(projectId, { type: "task.moved.v1" }),
          anEntry(projectId)
        ]
        yield* Effect.forEach(entries, activity.record)
        yield* activity.record(anEntry(newId(ProjectId)))
        const list = (types: ReadonlyArray<ActivityEntry["type"]>, before: string | null, limit = 10) =>
          Effect.map(activity.list({ projectId, types, limit, before }), ids)
        const newestFirst = ids([...entries].reverse())
        expect(yield* list([], null)).toStrictEqual(newestFirst)
        expect(yield* list([], null, 2)).toStrictEqual(newestFirst.slice(0, 2))
        expect(yield* list([], entries[2]!.id)).toStrictEqual(ids([entries[1]!, entries[0]!]))
        expect(yield* list(["task.created.v1"], null)).toStrictEqual(ids([entries[3]!, entries[1]!]))
        expect(yield* list(["task.moved.v1", "project.created.v1"], null)).toStrictEqual(ids([entries[2]!, entries[0]!]))
        expect(yield* list(["task.created.v1"], entries[3]!.id)).toStrictEqual(ids([entries[1]!]))
      }))

    it.effect("forgets a deleted project's feed and only that", () =>
      Effect.gen(function* () {
        const activity = yield* ActivityRepository
        const [gone, kept] = [newId(ProjectId), newId(ProjectId)]
        yield* activity.record(anEntry(gone))
        const survivor = anEntry(kept)
        yield* activity.record(survivor)
        yield* activity.deleteProject(gone)
        expect(yield* activity.list({ projectId: gone, types: [], limit: 10, before: null })).toStrictEqual([])
        expect(ids(yield* activity.list({ projectId: kept, types: [], limit: 10, before: null }))).toStrictEqual([survivor.id])
      }))
  })
