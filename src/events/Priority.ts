import { Schema } from "effect"
import type { EventType } from "../domain/Events.js"
import type { Priority } from "./EventTransport.js"

export const PrioritySchema = Schema.Literal("high", "default", "low")

/** Read order when every stream has entries waiting. */
export const priorities: ReadonlyArray<Priority> = ["high", "default", "low"]

/**
 * Which stream an event travels on. High: what people watch change on a board (tasks, columns,
 * comments), so live views stay snappy under a bulk import. Low: account housekeeping nobody
 * waits for. Everything else is default. A `Record` over every event type, so adding an event
 * type without deciding its priority does not compile.
 */
const byType: Readonly<Record<EventType, Priority>> = {
  "project.created.v1": "default",
  "project.updated.v1": "default",
  "project.moved.v1": "default",
  "project.deleted.v1": "default",
  "member.added.v1": "default",
  "member.updated.v1": "default",
  "member.removed.v1": "default",
  "column.created.v1": "high",
  "column.updated.v1": "high",
  "column.deleted.v1": "high",
  "columns.reordered.v1": "high",
  "task.created.v1": "high",
  "task.updated.v1": "high",
  "task.moved.v1": "high",
  "task.deleted.v1": "high",
  "comment.added.v1": "high",
  "comment.deleted.v1": "high",
  "user.created.v1": "low",
  "apikey.created.v1": "low",
  "apikey.revoked.v1": "low"
}

export const priorityOf = (type: EventType): Priority => byType[type]

/**
 * Weighted read order, so higher priorities drain first without starving lower ones: out of
 * every 10 reads, 6 start at high, 3 at default and 1 at low, each then falling through to the
 * others in priority order for what is left of its count. Under a saturated backlog default
 * and low therefore still get at least 30% and 10% of reads; when high is idle they get all.
 */
export const readOrder = (round: number): ReadonlyArray<Priority> => {
  const slot = round % 10
  return slot < 6 ? priorities : slot < 9 ? ["default", "high", "low"] : ["low", "high", "default"]
}
