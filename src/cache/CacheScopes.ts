import { Option } from "effect"
import { projectIdOf } from "../domain/Activity.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"

/**
 * What a cached entry depends on. Each scope has a generation; an entry is stored with the
 * generations it was loaded under and is served only while they are all unchanged. A
 * transaction that changes a scope's data bumps its generation after it commits.
 *
 * - `project:<id>`: the project row, its members, columns and tasks (everything a service write
 *   records an event for, plus rank rewrites that record none).
 * - `progress:<id>`: the project's progress read model, written by the progress handler. Apart
 *   from `project:` so that a recount does not evict the board.
 */
export const projectScope = (id: ProjectId): string => `project:${id}`
export const progressScope = (id: ProjectId): string => `progress:${id}`

/** The scopes an outbox event's change touches: its project, if it has one (user and key events have none). */
export const scopesOfEvents = (events: ReadonlyArray<Pick<OutboxEnvelope, "type" | "aggregateType" | "aggregateId" | "payload">>): ReadonlyArray<string> => {
  const scopes = new Set<string>()
  for (const event of events) Option.map(projectIdOf(event), (id) => scopes.add(projectScope(id)))
  return [...scopes]
}
