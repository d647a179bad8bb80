import { Effect } from "effect"
import { handlersLayer } from "../src/events/HandlerRegistry.js"

/**
 * Every event handler this build runs, each the effect that builds it from its dependencies
 * (`Effect.succeed(handler)` for one without). Adding a handler is one more element; its name
 * becomes its consumer group, so renaming one starts it over from the oldest retained event.
 */
export const HandlersLive = handlersLayer(
  Effect.all([
    // e.g. ActivityFeedHandler, ProjectProgressHandler, LiveStreamHandler
  ])
)
