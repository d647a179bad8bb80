import { ActivityFeedHandler } from "./ActivityFeedHandler.js"
import { ProjectProgressHandler } from "./ProjectProgressHandler.js"

export { ActivityFeedHandler } from "./ActivityFeedHandler.js"
export { ProjectProgressHandler } from "./ProjectProgressHandler.js"

/**
 * The read-model handlers, each the effect that builds it from the repository ports: add them to
 * the registry with `Effect.all([...ReadModelHandlers, ...])`. The live stream needs no handler:
 * each API process tails the outbox itself (see `LiveEvents`).
 */
export const ReadModelHandlers = [ActivityFeedHandler, ProjectProgressHandler] as const
