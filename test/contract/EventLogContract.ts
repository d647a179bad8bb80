import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { newId, ProjectId, TaskId } from "../../src/domain/Ids.js"
import { EventLogRepository } from "../../src/repositories/EventLogRepository.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { ids } from "./Assertions.js"
import { anEnvelope } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const eventLogContract = (it: ContractIt) =>
  describe("EventLogRepository", () => {
    it.effect("replays a project's events, project and task alike, after an id and in id order", () =>
      Effect.gen(function* () {
        const outbox = yield* OutboxRepository
        const log = yield* EventLogRepository
        const [mine, other] = [newId(ProjectId), newId(ProjectId)]
        const created = anEnvelope({ type: "project.created.v1", aggregateType: "project", aggregateId: mine, payload: { key: "K" } })
        const foreign = anEnvelope({ payload: { projectId: other } })
        const task = anEnvelope({ aggregateId: newId(TaskId), payload: { projectId: mine, snake_case: true } })
        const user = anEnvelope({ type: "user.created.v1", aggregateType: "user", aggregateId: mine, payload: {} })
        const moved = anEnvelope({ type: "project.moved.v1", aggregateType: "project", aggregateId: mine, payload: {} })
        yield* outbox.append([created, foreign, task, user, moved])
        const replay = yield* log.projectEventsAfter(mine, null, 10)
        expect(ids(replay)).toStrictEqual(ids([created, task, moved]))
        expect(replay[1]!.payload).toStrictEqual(task.payload)
        expect(ids(yield* log.projectEventsAfter(mine, created.id, 10))).toStrictEqual(ids([task, moved]))
        expect(ids(yield* log.projectEventsAfter(mine, null, 2))).toStrictEqual(ids([created, task]))
        expect(yield* log.projectEventsAfter(mine, moved.id, 10)).toStrictEqual([])
      }))

    it.effect("reads every event in an id range, in id order", () =>
      Effect.gen(function* () {
        const outbox = yield* OutboxRepository
        const log = yield* EventLogRepository
        const events = [anEnvelope(), anEnvelope(), anEnvelope(), anEnvelope()]
        yield* outbox.append(events)
        const mine: ReadonlyArray<string> = ids(events)
        const [a, b, c, d] = mine
        expect(ids(yield* log.range(a!, c!, 10))).toStrictEqual([b, c])
        expect(ids(yield* log.range(b!, null, 10_000)).filter((id) => mine.includes(id))).toStrictEqual([c, d])
        expect(ids(yield* log.range(a!, null, 1))).toStrictEqual([b])
        expect(ids(yield* log.range(null, a!, 10_000)).at(-1)).toBe(a)
      }))
  })
