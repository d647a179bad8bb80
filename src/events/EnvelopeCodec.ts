import { Effect, Either, ParseResult, Schema } from "effect"
import { Envelope, type OutboxEnvelope } from "../domain/Events.js"
import { type Priority, TransportError } from "./EventTransport.js"
import { PrioritySchema } from "./Priority.js"

/**
 * An envelope as it travels between processes (a Redis stream entry's `envelope` field): JSON,
 * `occurredAt` as an ISO string. It carries its priority, so an entry is self-describing when
 * it is inspected, copied to a dead-letter stream or replayed, apart from the stream it sat in.
 */
export const WireEnvelope = Schema.Struct({ ...Envelope.fields, priority: PrioritySchema })
export type WireEnvelope = typeof WireEnvelope.Type

const WireJson = Schema.parseJson(WireEnvelope)
const encodeJson = Schema.encode(WireJson)
const decodeJson = Schema.decodeUnknownEither(WireJson)

/** Encoding fails only on a payload JSON cannot hold (a bigint, a cycle): the producer's bug. */
export const encodeEnvelope = (envelope: OutboxEnvelope, priority: Priority): Effect.Effect<string, TransportError> =>
  encodeJson({ ...envelope, priority }).pipe(
    Effect.mapError((error) =>
      new TransportError({
        message: `event ${envelope.id} cannot be encoded: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
        cause: error
      })
    )
  )

/** The envelope and its priority, or a readable reason why the text is not one. */
export const decodeEnvelope = (
  text: string
): Either.Either<{ readonly envelope: OutboxEnvelope; readonly priority: Priority }, string> =>
  decodeJson(text).pipe(
    Either.map(({ priority, ...envelope }) => ({ envelope, priority })),
    Either.mapLeft((error) => ParseResult.TreeFormatter.formatErrorSync(error))
  )
