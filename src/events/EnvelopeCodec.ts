import { DateTime, Effect, Either, ParseResult, Schema } from "effect"
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

type WireEnvelopeEncoded = typeof WireEnvelope.Encoded
const WireJson = Schema.parseJson(WireEnvelope)
const decodeJson = Schema.decodeUnknownEither(WireJson)

/**
 * The wire text of an envelope. Written out field by field rather than through `WireJson`'s
 * encoder: the envelope is already typed (decoded from its outbox row, or built by the domain),
 * so validating it again cost the relay three times what the JSON itself does. The unit tests
 * check that `decodeEnvelope` reads back exactly what this writes.
 *
 * Encoding fails only on a payload JSON cannot hold (a bigint, a cycle): the producer's bug.
 */
export const encodeEnvelope = (envelope: OutboxEnvelope, priority: Priority): Effect.Effect<string, TransportError> =>
  Effect.try({
    try: () =>
      JSON.stringify({
        id: envelope.id,
        type: envelope.type,
        aggregateType: envelope.aggregateType,
        aggregateId: envelope.aggregateId,
        aggregateVersion: envelope.aggregateVersion,
        occurredAt: DateTime.formatIso(envelope.occurredAt),
        actor: envelope.actor,
        correlationId: envelope.correlationId,
        causationId: envelope.causationId,
        traceparent: envelope.traceparent,
        payload: envelope.payload,
        priority
      } satisfies WireEnvelopeEncoded),
    catch: (cause) => new TransportError({ message: `event ${envelope.id} cannot be encoded: ${String(cause)}`, cause })
  })

/** The envelope and its priority, or a readable reason why the text is not one. */
export const decodeEnvelope = (
  text: string
): Either.Either<{ readonly envelope: OutboxEnvelope; readonly priority: Priority }, string> =>
  decodeJson(text).pipe(
    Either.map(({ priority, ...envelope }) => ({ envelope, priority })),
    Either.mapLeft((error) => ParseResult.TreeFormatter.formatErrorSync(error))
  )
