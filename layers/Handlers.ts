import { Effect } from "effect"
import { AttachmentContentHandler } from "../src/events/handlers/AttachmentContentHandler.js"
import { ReadModelHandlers } from "../src/events/handlers/index.js"
import { WebhookHandler } from "../src/events/handlers/WebhookHandler.js"
import { handlersLayer } from "../src/events/HandlerRegistry.js"

/**
 * Every event handler this build runs, each the effect that builds it from its dependencies
 * (`Effect.succeed(handler)` for one without). Adding a handler is one more element; its name
 * becomes its consumer group, so renaming one starts it over from the oldest retained event.
 * The live stream has no handler: each API process tails the outbox itself (`LiveEvents`).
 */
export const HandlersLive = handlersLayer(
  Effect.all([...ReadModelHandlers, AttachmentContentHandler, WebhookHandler])
)
