/**
 * Re-publication at start for a transport that does not outlive the process (in-process, i.e.
 * embedded mode). Rows are marked published once the transport has them, so after a crash the
 * entries it held but handlers had not finished are gone from memory while their rows say
 * "published". At start the relay therefore publishes again every event published within
 * `window` of the newest publication, before anything new; handlers' inboxes make the repeats
 * harmless. The window bounds the work; a handler backlog older than it at a crash is the limit.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Either } from "effect"
import type { OutboxEnvelope } from "../domain/Events.js"
import { EventTransport, type TransportError } from "./EventTransport.js"
import { priorityOf } from "./Priority.js"
import { decodeRow } from "./RelayBatch.js"

const NIL = "00000000-0000-0000-0000-000000000000"

export const replayRecent = (
  window: Duration.DurationInput,
  batchSize: number
): Effect.Effect<number, SqlError | TransportError, SqlClient.SqlClient | EventTransport> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const transport = yield* EventTransport
    const seconds = Duration.toSeconds(window)
    let after = NIL
    let replayed = 0
    while (true) {
      const rows = yield* sql`
        SELECT id, type, aggregate_type, aggregate_id, aggregate_version, occurred_at, actor,
               correlation_id, causation_id, traceparent, payload::text AS payload
        FROM outbox
        WHERE published_at >= (SELECT max(published_at) FROM outbox) - make_interval(secs => ${seconds})
          AND id > ${after}
        ORDER BY id LIMIT ${batchSize}`
      const envelopes: Array<OutboxEnvelope> = []
      for (const row of rows) {
        const decoded = decodeRow(row)
        if (Either.isRight(decoded)) envelopes.push(decoded.right)
      }
      yield* transport.publish(envelopes.map((envelope) => ({ envelope, priority: priorityOf(envelope) })))
      replayed += envelopes.length
      const last = rows.at(-1)?.["id"]
      if (rows.length < batchSize || typeof last !== "string") return replayed
      after = last
    }
  }).pipe(Effect.withSpan("Relay.replayRecent"))
