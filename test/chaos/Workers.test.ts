/**
 * Real `flowboard serve` and two `flowboard worker` processes on Postgres and Redis; one worker
 * is killed with SIGKILL while tasks are being created through the API. Counted in SQL once the
 * system settles: an event is lost for a handler when the handler wants its type and has no
 * inbox row for it; an effect is duplicated when an event has more than one activity entry.
 * The answer must be zero for both.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { ACTIVITY_EVENT_TYPES } from "../../src/domain/Activity.js"
import type { EventType } from "../../src/domain/Events.js"
import { ACTIVITY_FEED_HANDLER } from "../../src/events/handlers/ActivityFeedHandler.js"
import { PROGRESS_EVENT_TYPES, PROJECT_PROGRESS_HANDLER } from "../../src/events/handlers/ProjectProgressHandler.js"
import * as Redis from "../../src/events/Redis.js"
import { deleteKeys, redisUrl, skipRedis } from "../integration/events/RedisSupport.js"
import { makeScratchDatabase, skipPostgres } from "../support/Database.js"
import { probe } from "../support/HttpProbe.js"
import { awaitKey, freePort, kill, probeUntil, redisServer, spawnFlowboard, tcpProxy } from "./Processes.js"

const handlers: ReadonlyArray<readonly [string, ReadonlyArray<EventType>]> = [
  [ACTIVITY_FEED_HANDLER, ACTIVITY_EVENT_TYPES],
  [PROJECT_PROGRESS_HANDLER, PROGRESS_EVENT_TYPES]
]

const jsonId = (body: string): Option.Option<string> => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && "id" in parsed && typeof parsed.id === "string" ? Option.some(parsed.id) : Option.none()
  } catch {
    return Option.none()
  }
}

/** Per handler, events it wants without an inbox row, polled until all are 0 (at most ~60 s); and duplicated activity entries. */
const settle = (url: string) =>
  Effect.gen(function* () {
    const sql = yield* PgClient.make({ url: Redacted.make(url) })
    const missing = Effect.forEach(handlers, ([name, types]) =>
      Effect.map(
        sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM outbox o
          WHERE ${sql.in("o.type", [...types])}
            AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.handler = ${name} AND i.event_id = o.id)`,
        (rows) => rows[0]?.n ?? -1
      ))
    let lost = yield* missing
    for (let i = 0; i < 300 && lost.some((n) => n !== 0); i++) {
      yield* Effect.sleep("200 millis")
      lost = yield* missing
    }
    const [events] = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM outbox`
    const [duplicated] = yield* sql<{ readonly n: number }>`
      SELECT count(*)::int AS n FROM (SELECT id FROM activity GROUP BY id HAVING count(*) > 1) d`
    return { lost, events: events?.n ?? -1, duplicated: duplicated?.n ?? -1 }
  })

describe.skipIf(skipPostgres || skipRedis)("workers as processes", () => {
  it.scopedLive("kill -9 of one of two workers mid-stream: 0 lost, 0 duplicated effects", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const prefix = `fbchaos-${crypto.randomUUID().slice(0, 8)}:`
      const cleaner = yield* Redis.make({ url: Redacted.make(redisUrl ?? "redis://127.0.0.1:6379"), prefix })
      yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
      const shared = { DATABASE_URL: url, REDIS_URL: redisUrl ?? "redis://127.0.0.1:6379", REDIS_PREFIX: prefix }
      const port = yield* freePort
      const serve = yield* spawnFlowboard(["serve"], { ...shared, PORT: String(port), HOST: "127.0.0.1" })
      expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), (o) => o._tag === "Answered" && o.status === 200, { within: "90 seconds" })).reached).toBe(true)
      const key = yield* awaitKey(serve)
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
      const created = yield* probe({ port, method: "POST", path: "/api/v1/projects", headers, body: JSON.stringify({ key: "CHAOS", name: "chaos" }) })
      const projectId = created._tag === "Answered" ? Option.getOrThrow(jsonId(created.body)) : ""

      const workerEnv = { ...shared, WORKER_CLAIM_IDLE: "2 seconds", WORKER_BLOCK: "200 millis" }
      const doomed = yield* spawnFlowboard(["worker"], workerEnv)
      yield* spawnFlowboard(["worker"], workerEnv)

      const create = (i: number) => ({ port, method: "POST", path: `/api/v1/projects/${projectId}/tasks`, headers, body: JSON.stringify({ title: `task ${i}` }) })
      const load = yield* Effect.fork(probeUntil(create, () => false, { every: "20 millis", within: "8 seconds" }))
      yield* Effect.sleep("3 seconds")
      yield* doomed.kill("SIGKILL")
      const { outcomes } = yield* load
      const acknowledged = outcomes.filter((o) => o._tag === "Answered" && o.status === 201).length
      expect(acknowledged).toBeGreaterThan(0)

      const { duplicated, events, lost } = yield* settle(url)
      yield* Effect.logInfo("chaos: kill -9 of one of two workers").pipe(
        Effect.annotateLogs({ tasksAcknowledged: acknowledged, events, lost, duplicated })
      )
      expect(lost).toEqual([0, 0])
      expect(duplicated).toBe(0)
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("Redis restarted without persistence mid-stream: 0 lost, 0 duplicated, the worker recovers without a restart", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const redisPort = yield* freePort
      let redis = yield* redisServer(redisPort)
      const shared = { DATABASE_URL: url, REDIS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_PREFIX: "fbchaos:" }
      const port = yield* freePort
      const serve = yield* spawnFlowboard(["serve"], { ...shared, PORT: String(port), HOST: "127.0.0.1" })
      expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), (o) => o._tag === "Answered" && o.status === 200, { within: "90 seconds" })).reached).toBe(true)
      const key = yield* awaitKey(serve)
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
      const created = yield* probe({ port, method: "POST", path: "/api/v1/projects", headers, body: JSON.stringify({ key: "LOSS", name: "loss" }) })
      const projectId = created._tag === "Answered" ? Option.getOrThrow(jsonId(created.body)) : ""
      const worker = yield* spawnFlowboard(["worker"], { ...shared, WORKER_CLAIM_IDLE: "2 seconds", WORKER_BLOCK: "200 millis", RELAY_LOSS_CHECK_INTERVAL: "200 millis" })

      const create = (i: number) => ({ port, method: "POST", path: `/api/v1/projects/${projectId}/tasks`, headers, body: JSON.stringify({ title: `task ${i}` }) })
      // 20 writes a second: the point is Redis going away under a stream of writes, not the
      // machine's capacity. At 50 a second a slow spell of the shared two-core machine queued
      // requests past their 5 s deadline (503, the request timeout, no SQL run), which is overload,
      // not Redis; the same happened with the code of before the webhooks issue.
      const load = yield* Effect.fork(probeUntil(create, () => false, { every: "50 millis", within: "8 seconds" }))
      yield* Effect.sleep("3 seconds")
      yield* kill(redis)
      redis = yield* redisServer(redisPort)
      const { outcomes } = yield* load
      const acknowledged = outcomes.filter((o) => o._tag === "Answered" && o.status === 201).length
      const failed = outcomes.filter((o) => !(o._tag === "Answered" && o.status === 201))
      const failedWrites = failed.length
      // What they were, for the next reader of a failure: a status, or no answer.
      const failures = failed.map((o) => (o._tag === "Answered" ? `${o.status} after ${o.ms} ms` : `${o._tag} after ${o.ms} ms`)).slice(0, 5)
      expect(acknowledged).toBeGreaterThan(0)

      const { duplicated, events, lost } = yield* settle(url)
      // Once when the worker met the new, empty Redis at start, once after the restart.
      const recovered = (worker.stdout().match(/events re-queued from the outbox/g) ?? []).length >= 2
      yield* Effect.logInfo("chaos: Redis restarted empty mid-stream").pipe(
        Effect.annotateLogs({ tasksAcknowledged: acknowledged, failedWrites, failures, events, lost, duplicated, recovered })
      )
      expect(lost).toEqual([0, 0])
      expect(duplicated).toBe(0)
      // Writes do not need Redis: none failed while it was away.
      expect(failedWrites).toBe(0)
      expect(recovered).toBe(true)
      yield* kill(redis)
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("a worker outlives a 10 s Postgres outage: it keeps running, says what it waits for, and handles everything once it is back", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const direct = new URL(url)
      const proxy = yield* tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
      const viaProxy = new URL(url)
      viaProxy.hostname = "127.0.0.1"
      viaProxy.port = String(proxy.port)
      const prefix = `fbchaos-${crypto.randomUUID().slice(0, 8)}:`
      const cleaner = yield* Redis.make({ url: Redacted.make(redisUrl ?? "redis://127.0.0.1:6379"), prefix })
      yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
      const shared = { REDIS_URL: redisUrl ?? "redis://127.0.0.1:6379", REDIS_PREFIX: prefix }
      const port = yield* freePort
      const serve = yield* spawnFlowboard(["serve"], { ...shared, DATABASE_URL: url, PORT: String(port), HOST: "127.0.0.1" })
      expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), (o) => o._tag === "Answered" && o.status === 200, { within: "90 seconds" })).reached).toBe(true)
      const key = yield* awaitKey(serve)
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
      const created = yield* probe({ port, method: "POST", path: "/api/v1/projects", headers, body: JSON.stringify({ key: "OUT", name: "outage" }) })
      const projectId = created._tag === "Answered" ? Option.getOrThrow(jsonId(created.body)) : ""
      const workerPort = yield* freePort
      const worker = yield* spawnFlowboard(["worker"], {
        ...shared,
        DATABASE_URL: viaProxy.toString(),
        DATABASE_CONNECT_TIMEOUT: "1 second",
        WORKER_PORT: String(workerPort),
        WORKER_CLAIM_IDLE: "2 seconds",
        WORKER_BLOCK: "200 millis"
      })
      expect((yield* probeUntil(() => ({ port: workerPort, path: "/health/ready" }), (o) => o._tag === "Answered" && o.status === 200, { within: "90 seconds" })).reached).toBe(true)

      // The worker's database goes away; the API (its own connection) keeps taking writes.
      yield* proxy.cut
      const create = (i: number) => ({ port, method: "POST", path: `/api/v1/projects/${projectId}/tasks`, headers, body: JSON.stringify({ title: `task ${i}` }) })
      const { outcomes } = yield* probeUntil(create, () => false, { every: "50 millis", within: "10 seconds" })
      const waiting = yield* probe({ port: workerPort, path: "/health/ready" })
      expect(waiting._tag === "Answered" ? [waiting.status, waiting.body.includes("\"name\":\"database\"")] : waiting._tag).toEqual([503, true])
      yield* proxy.restore

      const acknowledged = outcomes.filter((o) => o._tag === "Answered" && o.status === 201).length
      const { duplicated, events, lost } = yield* settle(url)
      const stillRunning = (yield* Effect.either(worker.exited.pipe(Effect.timeout("10 millis"))))._tag === "Left"
      yield* Effect.logInfo("chaos: worker through a Postgres outage").pipe(
        Effect.annotateLogs({ outageSeconds: 10, tasksAcknowledged: acknowledged, events, lost, duplicated, stillRunning })
      )
      expect(acknowledged).toBeGreaterThan(0)
      expect(lost).toEqual([0, 0])
      expect(duplicated).toBe(0)
      expect(stillRunning).toBe(true)
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })
})
