import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Envelope } from "../../domain/Events.js"
import { ProjectId } from "../../domain/Ids.js"
import { EventLogRepository } from "../EventLogRepository.js"
import { Timestamp, traced } from "./SqlSupport.js"

// As `SqlOutboxRepository` reads it: the payload as JSON text, untouched by name transforms.
const EnvelopeRow = Schema.Struct({
  ...Envelope.fields,
  occurredAt: Timestamp,
  payload: Schema.parseJson(Envelope.fields.payload)
})

export const SqlEventLogRepositoryLive = Layer.effect(
  EventLogRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, type, aggregate_type, aggregate_id, aggregate_version, occurred_at, actor,
                        correlation_id, causation_id, traceparent, payload::text AS payload`

    // Two index scans (outbox_aggregate, outbox_task_project) rather than one filter over every row.
    const projectEventsAfter = SqlSchema.findAll({
      Request: Schema.Struct({ projectId: ProjectId, after: Schema.NullOr(Schema.String), limit: Schema.Int }),
      Result: EnvelopeRow,
      execute: ({ after, limit, projectId }) => {
        const from = after === null ? sql`` : sql`AND id > ${after}`
        return sql`SELECT * FROM (
                     (SELECT ${columns} FROM outbox
                      WHERE aggregate_type = 'project' AND aggregate_id = ${projectId} ${from} ORDER BY id LIMIT ${limit})
                     UNION ALL
                     (SELECT ${columns} FROM outbox
                      WHERE aggregate_type = 'task' AND payload ->> 'projectId' = ${projectId} ${from} ORDER BY id LIMIT ${limit})
                   ) AS events ORDER BY id LIMIT ${limit}`
      }
    })
    const range = SqlSchema.findAll({
      Request: Schema.Struct({ after: Schema.NullOr(Schema.String), upTo: Schema.NullOr(Schema.String), limit: Schema.Int }),
      Result: EnvelopeRow,
      execute: ({ after, limit, upTo }) =>
        sql`SELECT ${columns} FROM outbox
            WHERE ${sql.and([...(after === null ? [] : [sql`id > ${after}`]), ...(upTo === null ? [] : [sql`id <= ${upTo}`])])}
            ORDER BY id LIMIT ${limit}`
    })

    return EventLogRepository.of({
      projectEventsAfter: (projectId, after, limit) =>
        projectEventsAfter({ projectId, after, limit }).pipe(traced("SqlEventLogRepository.projectEventsAfter")),
      range: (after, upTo, limit) => range({ after, upTo, limit }).pipe(traced("SqlEventLogRepository.range"))
    })
  })
)
