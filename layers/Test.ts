import { Effect, Layer } from "effect"
import type { HandlerRegistry } from "../src/events/HandlerRegistry.js"
import { Readiness } from "../src/observability/Readiness.js"
import { InvalidatingRepositories } from "../src/cache/Invalidating.js"
import { MemoryRepositoriesLive } from "../src/repositories/memory/index.js"
import { CacheLive } from "./Cache.js"
import { HandlersLive } from "./Handlers.js"
import { servicesWith } from "./Services.js"

const MemoryReadiness = Layer.succeed(Readiness, { mode: "test", check: Effect.void })

/** Services over in-memory fakes, with the given event handlers. Fresh state per build. */
export const testWith = <ROut, E, R>(handlers: Layer.Layer<ROut | HandlerRegistry, E, R>) =>
  Layer.mergeAll(servicesWith(handlers), MemoryReadiness).pipe(
    Layer.provideMerge(InvalidatingRepositories),
    Layer.provideMerge(MemoryRepositoriesLive),
    Layer.provideMerge(CacheLive("test"))
  )

/** Services over in-memory fakes: what unit and API tests run on. Fresh state per build. */
export const TestLive = testWith(HandlersLive)
