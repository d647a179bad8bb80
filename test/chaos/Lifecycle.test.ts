/**
 * The real process over real sockets: `node bin/flowboard.mjs start|serve|worker` as a child,
 * Postgres behind a TCP proxy the test cuts, pauses and restores. Requests are sent through
 * start-up, a database outage and SIGTERM, and every one is accounted for: refused (nothing was
 * accepted), answered, closed, or silent past its deadline. The answer must be: none silent.
 * Deadlines and exit bounds are hang guards for a loaded machine, not performance targets.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted } from "effect"
import { Agent, request as httpRequest } from "node:http"
import { makeScratchDatabase, skipPostgres } from "../support/Database.js"
import { type Outcome, probe, raw } from "../support/HttpProbe.js"
import { awaitKey, type Child, freePort, probeUntil, readinessBalancer, spawnFlowboard, tally, tcpProxy } from "./Processes.js"

/** How long any accepted request may wait for its answer. */
const DEADLINE_MS = 5_000
/** The partition scenario: the server's request deadline, and the client's (that deadline and a margin). */
const REQUEST_TIMEOUT_SETTING = "3 seconds"
const PARTITION_DEADLINE_MS = 3_000 + 4_000
const PARTITION = Duration.seconds(30)
const OUTAGE = Duration.seconds(30)
const DRAIN = Duration.seconds(2)
/** As the child's configuration reads it (`Config.duration` wants "2 seconds", not "2s"). */
const DRAIN_SETTING = `${Duration.toSeconds(DRAIN)} seconds`
/** Beyond the drain budget, for the rest of the shutdown (workers, pools) on a loaded machine. */
const EXIT_MARGIN = Duration.seconds(6)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const jsonOf = (outcome: Outcome & { readonly _tag: "Answered" }): unknown => {
  try {
    return JSON.parse(outcome.body)
  } catch {
    return undefined
  }
}

/** What is wrong with a 503, if anything: the error shape, `Retry-After`, the correlation id in both places. */
const unavailableProblems = (outcome: Outcome): ReadonlyArray<string> => {
  if (outcome._tag !== "Answered" || outcome.status !== 503) return [`not a 503: ${JSON.stringify(outcome).slice(0, 200)}`]
  const body = jsonOf(outcome)
  const problems: Array<string> = []
  if (!isRecord(body) || body._tag !== "ServiceUnavailable" || body.status !== 503 || typeof body.message !== "string") problems.push(`shape: ${outcome.body}`)
  if (!/^\d+$/.test(String(outcome.headers["retry-after"]))) problems.push("no Retry-After")
  const id = outcome.headers["x-request-id"]
  if (typeof id !== "string" || !isRecord(body) || body.correlationId !== id) problems.push("correlationId is not the X-Request-Id")
  return problems
}

const ready = (outcome: Outcome) => outcome._tag === "Answered" && outcome.status === 200
const statusOf = (outcome: Outcome) => (outcome._tag === "Answered" ? outcome.status : outcome._tag)

/** Asserts nothing accepted went unanswered, and every 503 is well-formed; returns the tally. */
const expectAllAnswered = (outcomes: ReadonlyArray<Outcome>) => {
  const counts = tally(outcomes)
  expect({ silent: counts.silent, closed: counts.closed, answeredOrRefused: counts.answered + counts.refused }).toEqual({
    silent: 0,
    closed: 0,
    answeredOrRefused: counts.sent
  })
  expect(outcomes.filter((o) => o._tag === "Answered" && o.status === 503).flatMap(unavailableProblems)).toEqual([])
  return counts
}

/**
 * A request during shutdown: a 503 in the error shape with `Connection: close`, a connection
 * closed before it was used, or one no longer accepted. Never silence.
 */
const expectCleanRefusal = (outcome: Outcome) => {
  expect(outcome._tag).not.toBe("Silent")
  if (outcome._tag === "Answered") {
    expect(unavailableProblems(outcome)).toEqual([])
    expect(outcome.headers.connection).toBe("close")
  }
}

const report = (scenario: string, numbers: Record<string, unknown>) => Effect.logInfo(`chaos: ${scenario}`).pipe(Effect.annotateLogs(numbers))

/** The child's output, for a failure's message. */
const outputOf = (child: Child) => `stdout:\n${child.stdout().slice(-3_000)}\nstderr:\n${child.stderr().slice(-3_000)}`


/** Sends SIGTERM and returns how long the process took to exit, and how. */
const terminate = (child: Child) =>
  Effect.gen(function* () {
    const sent = Date.now()
    yield* child.kill("SIGTERM")
    const exited = yield* child.exited.pipe(
      Effect.timeoutFail({ duration: Duration.sum(DRAIN, Duration.seconds(20)), onTimeout: () => new Error("no exit after SIGTERM") })
    )
    return { ms: exited.at - sent, code: exited.code, signal: exited.signal }
  })

const keepAlive = Effect.acquireRelease(
  Effect.sync(() => new Agent({ keepAlive: true, maxSockets: 1 })),
  (agent) => Effect.sync(() => agent.destroy())
)

/** An open event stream: resolves when the server ends it (`ended`) or the connection drops. */
const openStream = (port: number, path: string, token: string) =>
  Effect.async<Effect.Effect<"ended" | "dropped">>((resume) => {
    const request = httpRequest({ host: "127.0.0.1", port, path, headers: { authorization: `Bearer ${token}` } }, (response) => {
      let outcome: ((value: "ended" | "dropped") => void) | undefined
      const settled = new Promise<"ended" | "dropped">((done) => (outcome = done))
      response.on("data", () => undefined)
      response.on("end", () => outcome?.("ended"))
      response.on("error", () => outcome?.("dropped"))
      response.on("close", () => outcome?.("dropped"))
      resume(Effect.succeed(response.statusCode === 200 ? Effect.promise(() => settled) : Effect.succeed("dropped" as const)))
    })
    request.on("error", () => resume(Effect.succeed(Effect.succeed("dropped" as const))))
    request.end()
    return Effect.sync(() => request.destroy())
  })

/** Completes `duration` after the port first answers `/health/live` (the process runs, not yet ready). */
const listeningFor = (port: number, duration: Duration.DurationInput) =>
  probeUntil(() => ({ port, path: "/health/live" }), ready, { within: "90 seconds" }).pipe(Effect.zipRight(Effect.sleep(duration)))

/** A scratch database reached through a proxy; the child's DATABASE_URL. */
const proxiedDatabase = Effect.gen(function* () {
  const direct = new URL(Redacted.value(yield* makeScratchDatabase))
  const proxy = yield* tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const viaProxy = new URL(direct)
  viaProxy.hostname = "127.0.0.1"
  viaProxy.port = String(proxy.port)
  return { proxy, url: viaProxy.toString() }
})

const postgresEnv = (port: number, url: string) => ({
  DATABASE_URL: url,
  PORT: String(port),
  HOST: "127.0.0.1",
  DATABASE_CONNECT_TIMEOUT: "1 second",
  HTTP_DRAIN_TIMEOUT: DRAIN_SETTING
})

describe("flowboard start in embedded mode", () => {
  it.scopedLive("answers every accepted request through start-up, then drains and exits within its budget on SIGTERM", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const child = yield* spawnFlowboard(["start"], { FLOWBOARD_DATA_DIR: "memory://", PORT: String(port), HOST: "127.0.0.1", HTTP_DRAIN_TIMEOUT: DRAIN_SETTING })
      const startUp = yield* probeUntil(
        (i) => ({ port, path: "/health/ready", headers: { "x-request-id": `embedded-start-${i}` }, deadlineMs: DEADLINE_MS }),
        ready,
        { within: "30 seconds" }
      )
      expect(startUp.reached, outputOf(child)).toBe(true)
      const counts = expectAllAnswered(startUp.outcomes)
      const token = (yield* awaitKey(child))

      // Keep-alive connections at SIGTERM: one idle, one carrying an event stream, one that never sent a byte.
      const agent = yield* keepAlive
      const listed = yield* probe({ port, path: "/api/v1/projects", headers: { authorization: `Bearer ${token}` }, agent })
      expect(statusOf(listed)).toBe(200)
      const created = yield* probe({ port, path: "/api/v1/projects", method: "POST", body: JSON.stringify({ key: "CHAOS", name: "Chaos" }), headers: { authorization: `Bearer ${token}` } })
      const createdBody = created._tag === "Answered" ? jsonOf(created) : undefined
      const projectId = isRecord(createdBody) ? String(createdBody.id) : "missing"
      const stream = yield* openStream(port, `/api/v1/projects/${projectId}/events`, token)
      const streamEnd = yield* Effect.fork(stream)
      const silent = yield* Effect.fork(raw(port, "", 30_000))

      // Requests on fresh connections every 20 ms from before the signal until after the exit.
      const inFlight = yield* Effect.fork(
        probeUntil((i) => ({ port, path: "/api/v1/projects", headers: { authorization: `Bearer ${token}`, "x-request-id": `embedded-stop-${i}` }, deadlineMs: DEADLINE_MS }), () => false, {
          every: "20 millis",
          within: "3 seconds"
        })
      )
      yield* Effect.sleep("200 millis")
      const stopping = yield* Effect.fork(terminate(child))
      yield* Effect.sleep("300 millis")
      const onIdle = yield* probe({ port, path: "/api/v1/projects", headers: { authorization: `Bearer ${token}` }, agent, deadlineMs: DEADLINE_MS })
      const exit = yield* Fiber.join(stopping)
      // Each one answered (200 before the drain, 503 in the error shape during it), refused once
      // the port closed, or closed: most likely connections still in the kernel's accept queue
      // when the listening socket closed (keeping fresh connections open through the drain, and a
      // grace before closing them, did not change the count). A balancer's readiness check, with
      // DRAIN_READINESS_DELAY, keeps traffic away first. None silent; counted below.
      const stopOutcomes = (yield* Fiber.join(inFlight)).outcomes
      const duringStop = tally(stopOutcomes)
      expect(duringStop.silent).toBe(0)
      expect(Object.keys(duringStop.byStatus).filter((status) => status !== "200" && status !== "503")).toEqual([])
      expect(stopOutcomes.filter((o) => o._tag === "Answered" && o.status === 503).flatMap(unavailableProblems)).toEqual([])
      expect(duringStop.byStatus["200"] ?? 0).toBeGreaterThan(0)

      // The idle connection's request is answered (503, close) or the connection closed cleanly: never silence.
      expectCleanRefusal(onIdle)
      expect(yield* Fiber.join(streamEnd)).toBe("ended")
      expect(yield* Fiber.join(silent)).toEqual({ text: "", closed: true })
      expect(exit.code).toBe(0)
      expect(exit.ms).toBeLessThan(Duration.toMillis(Duration.sum(DRAIN, EXIT_MARGIN)))
      yield* report("embedded start-up and SIGTERM", {
        sent: counts.sent,
        refused: counts.refused,
        answered: counts.answered,
        byStatus: counts.byStatus,
        slowestAnswerMs: Math.max(...startUp.outcomes.map((o) => (o._tag === "Answered" ? o.ms : 0))),
        requestOnIdleConnection: onIdle._tag === "Answered" ? onIdle.status : onIdle._tag,
        duringStop: { sent: duringStop.sent, refused: duringStop.refused, closed: duringStop.closed, byStatus: duringStop.byStatus },
        exitMs: exit.ms,
        exitCode: exit.code
      })
    }), { timeout: 180_000 })
})

/** `flowboard serve` on a scratch database behind a proxy the test can cut, ready, and its admin key. */
/** A process's resident memory, MiB, from /proc (Linux). */
const rssMiB = (pid: number) =>
  Effect.promise(async () => {
    const { readFile } = await import("node:fs/promises")
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "")
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
  })

const servingBehindProxy = Effect.gen(function* () {
  const { proxy, url } = yield* proxiedDatabase
  const port = yield* freePort
  const child = yield* spawnFlowboard(["serve"], postgresEnv(port, url))
  expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), ready, { within: "90 seconds" })).reached).toBe(true)
  return { proxy, port, child, authorization: `Bearer ${(yield* awaitKey(child))}` }
})

describe.skipIf(skipPostgres)("flowboard serve and worker on Postgres behind a proxy", () => {
  it.scopedLive("start-up with the database unreachable: 503 in the error shape until it is back, then 200", () =>
    Effect.gen(function* () {
      const { proxy, url } = yield* proxiedDatabase
      yield* proxy.cut
      const port = yield* freePort
      const child = yield* spawnFlowboard(["serve"], postgresEnv(port, url))
      // The database stays away for a while after the port opens, however long the start took.
      yield* Effect.fork(Effect.zipRight(listeningFor(port, "2 seconds"), proxy.restore))
      const startUp = yield* probeUntil(
        (i) => ({ port, path: i % 2 === 0 ? "/health/ready" : "/api/v1/projects", headers: { "x-request-id": `pg-start-${i}` }, deadlineMs: DEADLINE_MS }),
        ready,
        { within: "90 seconds" }
      )
      expect(startUp.reached).toBe(true)
      const counts = expectAllAnswered(startUp.outcomes)
      // The port was open while the database was away, and said so.
      expect(counts.byStatus["503"] ?? 0).toBeGreaterThan(0)
      const listed = yield* probe({ port, path: "/api/v1/projects", headers: { authorization: `Bearer ${(yield* awaitKey(child))}` } })
      expect(statusOf(listed)).toBe(200)
      yield* report("postgres start-up, database away", { sent: counts.sent, refused: counts.refused, answered: counts.answered, byStatus: counts.byStatus })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("database unreachable for 30 s while serving: 503 with Retry-After, never 401, refused by the open breaker; back within 10 s", () =>
    Effect.gen(function* () {
      const { authorization, child, port, proxy } = yield* servingBehindProxy
      const agent = yield* keepAlive
      expect(statusOf(yield* probe({ port, path: "/api/v1/projects", headers: { authorization }, agent }))).toBe(200)
      // Reads, and every third request a write, whose acknowledged results are checked at the end.
      const request = (phase: string) => (i: number) => ({
        port,
        agent,
        deadlineMs: DEADLINE_MS,
        ...(i % 3 === 2
          ? { method: "POST", path: "/api/v1/projects", body: JSON.stringify({ key: `${phase}${i}`, name: "written around an outage" }) }
          : { path: "/api/v1/projects?limit=5" }),
        headers: { authorization, "content-type": "application/json", "x-request-id": `pg-outage-${phase}-${i}` }
      })
      const before = yield* probeUntil(request("U"), () => false, { every: "50 millis", within: "2 seconds" })

      const rssBefore = yield* rssMiB(child.pid)
      yield* proxy.cut
      const outage = yield* probeUntil(request("V"), () => false, { within: OUTAGE })
      // No pile-up of waiting fibers, pool requests or buffered work: memory stays where it was.
      const rssGrowth = (yield* rssMiB(child.pid)) - rssBefore
      expect(rssGrowth).toBeLessThan(64)
      const down = expectAllAnswered(outage.outcomes)
      expect(down.byStatus).toEqual({ 503: down.sent })
      // The breaker opened: /health says so, readiness sends no traffic, and calls were refused untried.
      const health = yield* probe({ port, path: "/health" })
      const healthReport = health._tag === "Answered" ? jsonOf(health) : undefined
      const breakers = isRecord(healthReport) && Array.isArray(healthReport.breakers) ? healthReport.breakers : []
      expect(breakers).toEqual([expect.objectContaining({ name: "postgres", state: "open" })])
      const readiness = yield* probe({ port, path: "/health/ready" })
      expect(statusOf(readiness)).toBe(503)
      const metrics = yield* probe({ port, path: "/metrics" })
      const rejected = metrics._tag === "Answered" ? Number(/flowboard_circuit_rejected_calls_total\{breaker="postgres"\} (\d+)/.exec(metrics.body)?.[1] ?? 0) : 0
      expect(rejected).toBeGreaterThan(0)

      yield* proxy.restore
      const restored = Date.now()
      let backAt: number | undefined
      const recovery = yield* probeUntil(
        request("W"),
        (outcome) => {
          if (outcome._tag === "Answered" && outcome.status < 300 && backAt === undefined) backAt = Date.now()
          return false
        },
        { every: "50 millis", within: "12 seconds" }
      )
      expect(backAt).toBeDefined()
      const back = expectAllAnswered(recovery.outcomes)
      expect(Object.keys(back.byStatus).filter((status) => !["200", "201", "503"].includes(status))).toEqual([])
      const recoveryMs = (backAt ?? Date.now()) - restored
      // No acknowledged write is lost.
      const acknowledged = [...before.outcomes, ...outage.outcomes, ...recovery.outcomes].flatMap((o) => {
        if (o._tag !== "Answered" || o.status !== 201) return []
        const body = jsonOf(o)
        return isRecord(body) && typeof body.id === "string" ? [body.id] : []
      })
      const reads = yield* Effect.forEach(acknowledged, (id) => probe({ port, path: `/api/v1/projects/${id}`, headers: { authorization }, deadlineMs: DEADLINE_MS }))
      const lost = reads.filter((o) => statusOf(o) !== 200).length
      expect(acknowledged.length).toBeGreaterThan(0)
      expect(lost).toBe(0)
      expect(recoveryMs).toBeLessThan(10_000)
      yield* report("postgres unreachable while serving", {
        outageSeconds: Duration.toSeconds(OUTAGE),
        outage: down.byStatus,
        sentDuringOutage: down.sent,
        refusedByBreaker: rejected,
        recovery: back.byStatus,
        recoveryMs,
        acknowledgedWrites: acknowledged.length,
        lost,
        rssBeforeMiB: Math.round(rssBefore),
        rssGrowthMiB: Math.round(rssGrowth)
      })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("SIGTERM with a request held by the database and idle, silent and half-sent connections: answered or cleanly closed, exit within the budget", () =>
    Effect.gen(function* () {
      const { authorization, child, port, proxy } = yield* servingBehindProxy
      const idleAgent = yield* keepAlive
      const heldAgent = yield* keepAlive
      expect(statusOf(yield* probe({ port, path: "/api/v1/projects", headers: { authorization }, agent: idleAgent }))).toBe(200)
      expect(statusOf(yield* probe({ port, path: "/api/v1/projects", headers: { authorization }, agent: heldAgent }))).toBe(200)
      const silent = yield* Effect.fork(raw(port, "", 30_000))
      const halfSent = yield* Effect.fork(raw(port, "GET /api/v1/projects HTTP/1.1\r\nHost: t\r\n", 30_000))

      // The database stops answering: this request waits on a pooled connection.
      yield* proxy.pause
      const held = yield* Effect.fork(probe({ port, path: "/api/v1/projects", headers: { authorization }, agent: heldAgent, deadlineMs: 15_000 }))
      yield* Effect.sleep("300 millis")

      const stopping = yield* Effect.fork(terminate(child))
      yield* Effect.sleep("300 millis")
      const onIdle = yield* probe({ port, path: "/api/v1/projects", headers: { authorization }, agent: idleAgent, deadlineMs: DEADLINE_MS })
      const fresh = yield* probe({ port, path: "/api/v1/projects", headers: { authorization }, deadlineMs: DEADLINE_MS })
      // The database answers again within the drain budget: the held request finishes, told to close.
      yield* Effect.sleep("500 millis")
      yield* proxy.resume
      const heldOutcome = yield* Fiber.join(held)
      const exit = yield* Fiber.join(stopping)

      expect(heldOutcome).toMatchObject({ _tag: "Answered", headers: { connection: "close" } })
      expectCleanRefusal(onIdle)
      // A new connection during the drain is refused cleanly (or not accepted at all once closed).
      expectCleanRefusal(fresh)
      expect((yield* Fiber.join(silent)).closed).toBe(true)
      expect((yield* Fiber.join(halfSent)).closed).toBe(true)
      expect(exit.ms).toBeLessThan(Duration.toMillis(Duration.sum(DRAIN, EXIT_MARGIN)))
      yield* report("postgres SIGTERM under keep-alive", {
        held: statusOf(heldOutcome),
        heldMs: heldOutcome.ms,
        requestOnIdleConnection: statusOf(onIdle),
        requestOnNewConnection: statusOf(fresh),
        exitMs: exit.ms,
        exitCode: exit.code
      })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("Postgres partitioned (nothing passes, nothing is refused) under reads and writes: every answer a success or a 503 within REQUEST_TIMEOUT, no acknowledged write lost, back soon after", () =>
    Effect.gen(function* () {
      const { proxy, url } = yield* proxiedDatabase
      const port = yield* freePort
      const child = yield* spawnFlowboard(["serve"], { ...postgresEnv(port, url), REQUEST_TIMEOUT: REQUEST_TIMEOUT_SETTING, DATABASE_STATEMENT_TIMEOUT: "2 seconds" })
      expect((yield* probeUntil(() => ({ port, path: "/health/ready" }), ready, { within: "90 seconds" })).reached).toBe(true)
      const authorization = `Bearer ${(yield* awaitKey(child))}`
      const request = (phase: string) => (i: number) =>
        i % 3 === 2
          ? {
            port,
            method: "POST",
            path: "/api/v1/projects",
            headers: { authorization, "content-type": "application/json", "x-request-id": `partition-${phase}-${i}` },
            body: JSON.stringify({ key: `${phase}${i}`, name: `written during ${phase}` }),
            deadlineMs: PARTITION_DEADLINE_MS
          }
          : { port, path: "/api/v1/projects?limit=5", headers: { authorization, "x-request-id": `partition-${phase}-${i}` }, deadlineMs: PARTITION_DEADLINE_MS }

      // Writes acknowledged before the partition, some in flight when it starts.
      const before = yield* probeUntil(request("O"), () => false, { every: "50 millis", within: "3 seconds" })
      yield* proxy.pause
      const during = yield* probeUntil(request("P"), () => false, { every: "100 millis", within: PARTITION })
      yield* proxy.resume
      const resumed = Date.now()
      let firstSuccess: number | undefined
      const after = yield* probeUntil(
        request("Q"),
        (outcome) => {
          const ok = outcome._tag === "Answered" && outcome.status === 200
          if (ok && firstSuccess === undefined) firstSuccess = Date.now()
          return false
        },
        { every: "50 millis", within: "12 seconds" }
      )
      const outcomes = [...before.outcomes, ...during.outcomes, ...after.outcomes]
      const counts = expectAllAnswered(outcomes)
      expect(Object.keys(counts.byStatus).filter((status) => !["200", "201", "503"].includes(status))).toEqual([])
      expect(firstSuccess).toBeDefined()

      // Every write the server acknowledged is there once the database is back.
      const acknowledged = outcomes.flatMap((o) => {
        if (o._tag !== "Answered" || o.status !== 201) return []
        const body = jsonOf(o)
        return isRecord(body) && typeof body.id === "string" ? [body.id] : []
      })
      const reads = yield* Effect.forEach(acknowledged, (id) => probe({ port, path: `/api/v1/projects/${id}`, headers: { authorization }, deadlineMs: DEADLINE_MS }))
      const lost = reads.filter((o) => statusOf(o) !== 200).length
      expect(lost).toBe(0)
      const recoveryMs = (firstSuccess ?? Date.now()) - resumed
      expect(recoveryMs).toBeLessThan(10_000)
      yield* report("postgres partitioned", {
        partitionSeconds: Duration.toSeconds(PARTITION),
        sent: counts.sent,
        byStatusBefore: tally(before.outcomes).byStatus,
        byStatusDuring: tally(during.outcomes).byStatus,
        byStatusAfter: tally(after.outcomes).byStatus,
        acknowledgedWrites: acknowledged.length,
        lost,
        recoveryMs
      })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 240_000 })

  it.scopedLive("SIGTERM to one of two serve processes behind a readiness-checking balancer, under a request loop, with DRAIN_READINESS_DELAY: 0 failed requests", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* makeScratchDatabase)
      const env = (port: number) => ({ ...postgresEnv(port, url), DRAIN_READINESS_DELAY: "2 seconds" })
      const [portA, portB] = [yield* freePort, yield* freePort]
      const a = yield* spawnFlowboard(["serve"], env(portA))
      expect((yield* probeUntil(() => ({ port: portA, path: "/health/ready" }), ready, { within: "90 seconds" })).reached).toBe(true)
      const authorization = `Bearer ${(yield* awaitKey(a))}`
      yield* spawnFlowboard(["serve"], env(portB))
      expect((yield* probeUntil(() => ({ port: portB, path: "/health/ready" }), ready, { within: "90 seconds" })).reached).toBe(true)
      // Polling every 500 ms, as a real balancer's health checks lag: with DRAIN_READINESS_DELAY
      // 0 this run had 7 of 294 requests fail (sent to A after it stopped taking them).
      const balancer = yield* readinessBalancer([portA, portB], "500 millis")
      yield* Effect.sleep("1200 millis") // the balancer has seen both ready

      const loop = yield* Effect.fork(
        probeUntil(
          (i) => ({ port: balancer.port, path: "/api/v1/projects?limit=5", headers: { authorization, "x-request-id": `rolling-${i}` }, deadlineMs: DEADLINE_MS }),
          () => false,
          { every: "20 millis", within: "6 seconds" }
        )
      )
      yield* Effect.sleep("2 seconds")
      const exit = yield* terminate(a)
      const counts = tally((yield* Fiber.join(loop)).outcomes)
      expect(exit.code).toBe(0)
      expect({ sent: counts.sent, failed: counts.sent - (counts.byStatus["200"] ?? 0) }).toEqual({ sent: counts.sent, failed: 0 })
      yield* report("rolling SIGTERM behind a balancer", { sent: counts.sent, byStatus: counts.byStatus, exitMs: exit.ms, exitCode: exit.code })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })

  it.scopedLive("flowboard worker with WORKER_PORT: 503 on /health/ready and /metrics until it is up, never silence", () =>
    Effect.gen(function* () {
      const { proxy, url } = yield* proxiedDatabase
      yield* proxy.cut
      const port = yield* freePort
      const child = yield* spawnFlowboard(["worker"], { DATABASE_URL: url, WORKER_PORT: String(port), DATABASE_CONNECT_TIMEOUT: "1 second" })
      yield* Effect.fork(Effect.zipRight(listeningFor(port, "2 seconds"), proxy.restore))
      const startUp = yield* probeUntil(
        (i) => ({ port, path: i % 2 === 0 ? "/health/ready" : "/metrics", headers: { "x-request-id": `worker-start-${i}` }, deadlineMs: DEADLINE_MS }),
        (outcome) => ready(outcome) && outcome._tag === "Answered" && outcome.body.includes("\"status\":\"ok\""),
        { within: "90 seconds" }
      )
      expect(startUp.reached).toBe(true)
      const counts = expectAllAnswered(startUp.outcomes)
      expect(counts.byStatus["503"] ?? 0).toBeGreaterThan(0)
      expect(statusOf(yield* probe({ port, path: "/metrics" }))).toBe(200)
      const exit = yield* terminate(child)
      yield* report("worker start-up", { sent: counts.sent, refused: counts.refused, byStatus: counts.byStatus, exitMs: exit.ms })
    }).pipe(Effect.provide(Reactivity.layer)), { timeout: 180_000 })
})
