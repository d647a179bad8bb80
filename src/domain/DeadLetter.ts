import { Schema } from "effect"
import { Envelope, EventType } from "./Events.js"
import { EventId, UserId } from "./Ids.js"
import { Timestamp } from "./Model.js"

export const DeadLetterId = Schema.UUID.pipe(Schema.brand("DeadLetterId"))
export type DeadLetterId = typeof DeadLetterId.Type

/** An envelope as JSON (ISO timestamps): how a dead letter keeps it and the admin API shows it. */
export { Envelope }

/**
 * One link of a failure: a failure or defect of the final attempt, then what it wraps (`cause`),
 * outermost first. Messages only; stack traces go to the log, never to an API response.
 */
export const CauseLink = Schema.Struct({
  kind: Schema.Literal("failure", "defect", "cause"),
  tag: Schema.String,
  message: Schema.String
})
export type CauseLink = typeof CauseLink.Type

export const DeadLetterStatus = Schema.Literal("pending", "replayed")
export type DeadLetterStatus = typeof DeadLetterStatus.Type

/**
 * An event a handler gave up on, with what it knows about why. Unique per (handler, event): a
 * failed replay or a second dead-lettering updates the same letter, adding up the attempts.
 */
export class DeadLetter extends Schema.Class<DeadLetter>("DeadLetter")({
  id: DeadLetterId,
  handler: Schema.String,
  eventId: EventId,
  eventType: EventType,
  envelope: Envelope,
  attempts: Schema.Int,
  firstFailedAt: Timestamp,
  lastFailedAt: Timestamp,
  error: Schema.String.annotations({ description: "The message of the last failure" }),
  cause: Schema.String.annotations({ description: "The last failure's cause as Effect renders it, without stack frames" }),
  causeChain: Schema.Array(CauseLink),
  status: DeadLetterStatus,
  replayedAt: Schema.NullOr(Timestamp),
  replayedBy: Schema.NullOr(UserId),
  createdAt: Timestamp
}) {}

/** What the consumer runtime knows when it gives up on a delivery. */
export interface Failure {
  readonly attempts: number
  readonly firstFailedAt: typeof Timestamp.Type
  readonly lastFailedAt: typeof Timestamp.Type
  readonly error: string
  readonly cause: string
  readonly causeChain: ReadonlyArray<CauseLink>
}
