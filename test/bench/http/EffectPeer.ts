/**
 * The yardstick: a bare Effect endpoint, `HttpApi` + `@effect/sql-pg`, answering
 * `GET /api/v1/tasks/:id` with Flowboard's statement, its `Task` schema (path decoded as a
 * `TaskId`, the row decoded, the answer encoded) and a pool of 10. None of Flowboard's
 * middleware: no API key, access log, metrics, request id or OpenTelemetry; the platform's own
 * per-request span stays, as in any Effect server. Run as its own process by the bench:
 * `PORT=… PEER_DATABASE_URL=… PEER_USER_ID=… node --import tsx test/bench/http/EffectPeer.ts`.
 */
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { SqlClient, SqlSchema } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Option, Schema, String as Str } from "effect"
import { createServer } from "node:http"
import { TaskId } from "../../../src/domain/Ids.js"
import { Task } from "../../../src/domain/Model.js"
import { findTaskWithAccess } from "./TaskQuery.js"

class TaskNotFound extends Schema.TaggedError<TaskNotFound>()("NotFound", { message: Schema.String }, HttpApiSchema.annotations({ status: 404 })) {}

const Api = HttpApi.make("peer").add(
  HttpApiGroup.make("tasks").add(
    HttpApiEndpoint.get("getTask")`/api/v1/tasks/${HttpApiSchema.param("taskId", TaskId)}`.addSuccess(Task).addError(TaskNotFound)
  )
)

/** The row as the driver gives it (camelCased by the client, timestamps as `Date`). */
const TaskRow = Schema.Struct({
  ...Task.fields,
  dueAt: Schema.NullOr(Schema.DateTimeUtcFromDate),
  completedAt: Schema.NullOr(Schema.DateTimeUtcFromDate),
  createdAt: Schema.DateTimeUtcFromDate,
  updatedAt: Schema.DateTimeUtcFromDate
})

const TasksLive = HttpApiBuilder.group(Api, "tasks", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const userId = yield* Config.string("PEER_USER_ID")
    const find = SqlSchema.findOne({
      Request: TaskId,
      Result: TaskRow,
      execute: (id) => sql.unsafe(findTaskWithAccess, [id, userId])
    })
    return handlers.handle("getTask", ({ path }) =>
      find(path.taskId).pipe(
        Effect.orDie,
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new TaskNotFound({ message: "task not found" })),
          onSome: (row) => Effect.succeed(new Task(row, true))
        }))
      )
    )
  })
)

const SqlLive = PgClient.layerConfig({
  url: Config.redacted("PEER_DATABASE_URL"),
  maxConnections: Config.succeed(10),
  transformResultNames: Config.succeed(Str.snakeToCamel)
})

const ServerLive = HttpApiBuilder.serve().pipe(
  Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(TasksLive))),
  Layer.provide(SqlLive),
  Layer.provide(Layer.unwrapEffect(Effect.map(Config.integer("PORT"), (port) => NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))))
)

NodeRuntime.runMain(Layer.launch(ServerLive))
