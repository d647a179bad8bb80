import { Schema } from "effect"
import type { AggregateType } from "../domain/Events.js"
import type { Priority } from "./EventTransport.js"

export const PrioritySchema = Schema.Literal("high", "default", "low")

/** Read order when every stream has entries waiting. */
export const priorities: ReadonlyArray<Priority> = ["high", "default", "low"]

/**
 * Which stream an event travels on, decided by its aggregate type, not its event type: order is
 * kept within a stream only, and an aggregate's events must stay in order (a task moved before
 * it was created is nonsense to a read model). So every event of one aggregate shares a stream.
 * High: project structure and membership (columns, members: what boards and access checks
 * are built from), a small volume. Default: task and comment churn, the bulk of the traffic.
 * Low: account housekeeping nobody waits for. A `Record` over every aggregate type, so a new
 * aggregate without a decided priority does not compile.
 */
const byAggregate: Readonly<Record<AggregateType, Priority>> = {
  project: "high",
  task: "default",
  user: "low",
  apikey: "low"
}

export const priorityOf = (event: { readonly aggregateType: AggregateType }): Priority => byAggregate[event.aggregateType]

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
