import { Effect, Layer } from "effect"
import { Readiness } from "../src/observability/Readiness.js"
import { MemoryRepositoriesLive } from "../src/repositories/memory/index.js"
import { ServicesLive } from "./Services.js"

const MemoryReadiness = Layer.succeed(Readiness, { mode: "test", check: Effect.void })

/** Services over in-memory fakes: what unit and API tests run on. Fresh state per build. */
export const TestLive = Layer.mergeAll(ServicesLive, MemoryReadiness).pipe(Layer.provideMerge(MemoryRepositoriesLive))
