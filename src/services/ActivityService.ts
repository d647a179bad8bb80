import { Effect } from "effect"
import type { Actor } from "../domain/Actor.js"
import { ValidationError } from "../domain/Errors.js"
import type { EventType } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import { ActivityRepository } from "../repositories/ActivityRepository.js"
import { ProjectAccess } from "./ProjectAccess.js"

export interface ActivityListQuery {
  /** Only these event types; every type when empty. */
  readonly types: ReadonlyArray<EventType>
  readonly limit: number
  readonly cursor: string | null
}

/** A project's activity feed, newest first, to its members. */
export class ActivityService extends Effect.Service<ActivityService>()("flowboard/ActivityService", {
  effect: Effect.gen(function* () {
    const activity = yield* ActivityRepository
    const access = yield* ProjectAccess

    return {
      list: Effect.fn("ActivityService.list")(function* (actor: Actor, projectId: ProjectId, query: ActivityListQuery) {
        yield* access.require(actor, projectId, "viewer")
        const before = query.cursor === null ? null : decodeCursor(query.cursor)
        if (query.cursor !== null && before === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        const rows = yield* activity.list({ projectId, types: query.types, limit: query.limit + 1, before })
        return toPage(rows, query.limit)
      })
    } as const
  })
}) {}
