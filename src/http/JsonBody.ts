import { HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

/**
 * A success body already encoded (from the read cache): sent as it is, with the status and
 * content type the endpoint's schema encoding would have given, byte for byte the same JSON.
 */
export const jsonBody = <E, R>(body: Effect.Effect<string, E, R>): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
  Effect.map(body, (text) => HttpServerResponse.text(text, { contentType: "application/json" }))
