import { Context, Effect, HashSet, Layer, Option } from "effect"
import type { EventType } from "../domain/Events.js"
import type { EventHandler } from "./EventHandler.js"

/**
 * Every event handler this build runs. Built once from a static list (`layers/Handlers.ts`), so
 * the API process (which replays dead letters) and the workers see the same handlers, and a
 * handler's dependencies are resolved when the list is built, not when an event arrives.
 */
export class HandlerRegistry extends Context.Tag("flowboard/HandlerRegistry")<
  HandlerRegistry,
  {
    readonly handlers: ReadonlyArray<EventHandler>
    readonly get: (name: string) => Option.Option<EventHandler>
  }
>() {}

/** Whether `handler` wants events of `type`; the runtime acks the others untouched. */
export const wants = (handler: EventHandler, type: EventType): boolean => handler.types === "*" || handler.types.includes(type)

// Names become consumer groups and inbox keys: they must be unique, stable and Redis-friendly.
const NAME = /^[a-z][a-z0-9._-]{0,62}$/

const validate = (handlers: ReadonlyArray<EventHandler>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  let seen = HashSet.empty<string>()
  for (const handler of handlers) {
    if (!NAME.test(handler.name)) problems.push(`handler name "${handler.name}" must match ${NAME.source}`)
    if (HashSet.has(seen, handler.name)) problems.push(`handler name "${handler.name}" is registered twice`)
    if (!Number.isInteger(handler.concurrency) || handler.concurrency < 1) {
      problems.push(`handler "${handler.name}": concurrency must be a positive integer`)
    }
    if (handler.types !== "*" && handler.types.length === 0) problems.push(`handler "${handler.name}" wants no event types`)
    seen = HashSet.add(seen, handler.name)
  }
  return problems
}

export const makeRegistry = (handlers: ReadonlyArray<EventHandler>): Effect.Effect<Context.Tag.Service<HandlerRegistry>> => {
  const problems = validate(handlers)
  // A misdeclared handler is a programming error: refuse to start rather than run half a set.
  if (problems.length > 0) return Effect.dieMessage(`Invalid event handlers: ${problems.join("; ")}`)
  return Effect.succeed(
    HandlerRegistry.of({
      handlers,
      get: (name) => Option.fromNullable(handlers.find((handler) => handler.name === name))
    })
  )
}

/**
 * The registry of the handlers an effect builds, from their dependencies. Adding a handler is
 * one more element in `layers/Handlers.ts`: `handlersLayer(Effect.all([ActivityFeed, ...]))`.
 */
export const handlersLayer = <E, R>(handlers: Effect.Effect<ReadonlyArray<EventHandler>, E, R>): Layer.Layer<HandlerRegistry, E, R> =>
  Layer.effect(HandlerRegistry, Effect.flatMap(handlers, makeRegistry))
