/**
 * Webhook delivery throughput to a fast local receiver (a `node:http` server on loopback that
 * answers 204 at once): N deliveries queued, then a delivery worker (what `flowboard worker`
 * runs, production settings but for the loopback allowlist) started, timed until the receiver
 * has them all and the log says each was delivered once.
 *
 * - `1 subscription`: one queue, so one delivery at a time, in order: the latency of a
 *   lease + send + record round trip bounds it.
 * - `16 subscriptions`: the deliveries spread over 16 queues, `WEBHOOK_CONCURRENCY` 16.
 *
 * The ceiling is the same receiver and body sent with Node's own `http` client (keep-alive), one
 * at a time and 16 at a time, with no database, no signature and no log: the last column is the
 * worker's throughput over that ceiling, measured in the same run.
 *
 * Postgres at TEST_DATABASE_URL / DATABASE_URL (a scratch database), else PGlite in memory.
 * `npx tsx test/bench/webhooks.ts` (BENCH_WEBHOOKS=n deliveries per run, default 2000).
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { ConfigProvider, Context, DateTime, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import { Agent, createServer, request } from "node:http"
import { loadavg } from "node:os"
import { ServicesLive } from "../../layers/Services.js"
import { EventId, newId } from "../../src/domain/Ids.js"
import { DeliveryId, Webhook, WebhookId } from "../../src/domain/Webhook.js"
import { NameTransforms, runMigrations } from "../../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import * as PgliteClient from "../../src/repositories/sql/PgliteClient.js"
import { WebhookRepository } from "../../src/repositories/WebhookRepository.js"
import { DeliveryWorkerLive } from "../../src/webhooks/DeliveryWorker.js"
import { newSecret, secretPrefix } from "../../src/webhooks/Signature.js"
import { givenProject } from "../contract/Fixtures.js"
import { makeScratchDatabase, postgresUrl } from "../support/Database.js"

const total = Number(process.env["BENCH_WEBHOOKS"] ?? 2000)
const body = JSON.stringify({ type: "task.created.v1", timestamp: new Date().toISOString(), data: { title: "A task of ordinary length", projectId: crypto.randomUUID() } })

/** The receiver: 204 at once, counting what it got. */
const receiver = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly count: () => number; readonly reset: () => void; readonly close: () => void }>((resume) => {
    let received = 0
    const server = createServer((req, res) => {
      req.resume()
      req.on("end", () => {
        received += 1
        res.writeHead(204).end()
      })
    })
    server.keepAliveTimeout = 30_000
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({
        port: typeof address === "object" && address !== null ? address.port : 0,
        count: () => received,
        reset: () => (received = 0),
        close: () => {
          server.closeAllConnections()
          server.close()
        }
      }))
    })
  }),
  (r) => Effect.sync(r.close)
)

/** Node's client alone: `n` POSTs, `parallel` at a time, keep-alive. */
const ceiling = (port: number, n: number, parallel: number) =>
  Effect.promise(async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: parallel })
    const post = () =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/hook", method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
          res.resume()
          res.on("end", resolve)
        })
        req.on("error", reject)
        req.end(body)
      })
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < n) {
        next += 1
        await post()
      }
    }))
    agent.destroy()
    return (performance.now() - started) / 1000
  })

const database = Effect.gen(function* () {
  if (postgresUrl !== undefined) {
    const client = yield* PgClient.make({ url: yield* makeScratchDatabase, maxConnections: 20, ...NameTransforms })
    yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
    return { kind: "postgres", context: Context.make(PgClient.PgClient, client).pipe(Context.add(SqlClient.SqlClient, client)) }
  }
  const client = yield* PgliteClient.make({ dataDir: "memory://", ...NameTransforms })
  yield* runMigrations.pipe(Effect.provideService(SqlClient.SqlClient, client))
  return { kind: "pglite", context: Context.make(SqlClient.SqlClient, client) }
}).pipe(Effect.provide(Reactivity.layer))

/** `subscriptions` subscriptions of one project to the receiver, and `total` deliveries spread over them. */
const queue = (port: number, subscriptions: number) =>
  Effect.gen(function* () {
    const webhooks = yield* WebhookRepository
    const { owner, project } = yield* givenProject()
    const now = yield* DateTime.now
    const ids = Array.from({ length: subscriptions }, () => newId(WebhookId))
    for (const id of ids) {
      const secret = newSecret()
      yield* webhooks.insert({
        webhook: new Webhook({
          id, projectId: project.id, url: `http://127.0.0.1:${port}/hook`, description: "", eventTypes: null, active: true, disabledReason: null, disabledAt: null,
          failingSince: null, secretPrefix: secretPrefix(secret), previousSecretExpiresAt: null, createdBy: owner.id, createdAt: now, updatedAt: now, version: 1
        }),
        secret,
        previousSecret: null
      })
    }
    for (let start = 0; start < total; start += 500) {
      yield* webhooks.enqueue(Array.from({ length: Math.min(500, total - start) }, (_, i) => ({
        id: newId(DeliveryId), webhookId: ids[(start + i) % subscriptions]!, eventId: newId(EventId), eventType: "task.created.v1" as const, body, createdAt: now
      })))
    }
  })

const run = (subscriptions: number, target: { readonly port: number; readonly count: () => number; readonly reset: () => void }) =>
  Effect.gen(function* () {
    yield* queue(target.port, subscriptions)
    target.reset()
    const scope = yield* Scope.make()
    const started = performance.now()
    yield* Layer.buildWithScope(DeliveryWorkerLive, scope)
    while (target.count() < total) yield* Effect.sleep("5 millis")
    const seconds = (performance.now() - started) / 1000
    yield* Scope.close(scope, Exit.void)
    const pending = (yield* (yield* WebhookRepository).counts).pending
    return { seconds, received: target.count(), pending }
  })

const program = Effect.gen(function* () {
  const target = yield* receiver
  const { context, kind } = yield* database
  const config = ConfigProvider.fromMap(new Map([["WEBHOOK_ALLOW_HTTP", "true"], ["WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"]]))
  const env = Layer.mergeAll(ServicesLive).pipe(Layer.provideMerge(SqlRepositoriesLive), Layer.provide(Layer.succeedContext(context)), Layer.provide(Layer.setConfigProvider(config)))
  console.log(`Webhook deliveries to a local receiver: ${total} per run, database ${kind}, load ${loadavg().map((n) => n.toFixed(2)).join(" ")}`)
  console.log("| run | deliveries | seconds | deliveries/s | ceiling (node http) /s | worker / ceiling |")
  console.log("| --- | --- | --- | --- | --- | --- |")
  for (const subscriptions of [1, 16]) {
    const result = yield* run(subscriptions, target).pipe(Effect.provide(env), Effect.withConfigProvider(config))
    if (result.received !== total || result.pending !== 0) console.log(`!! received ${result.received}, pending ${result.pending}`)
    const ceilingSeconds = yield* ceiling(target.port, total, subscriptions)
    const rate = total / result.seconds
    const ceilingRate = total / ceilingSeconds
    console.log(`| ${subscriptions} subscription${subscriptions === 1 ? "" : "s"} | ${total} | ${result.seconds.toFixed(2)} | ${rate.toFixed(0)} | ${ceilingRate.toFixed(0)} | ${(rate / ceilingRate).toFixed(3)} |`)
  }
}).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
