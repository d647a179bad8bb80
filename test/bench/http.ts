/**
 * What one HTTP request costs Flowboard, beside peers answering the same read: `flowboard serve`
 * (the real CLI, on a Postgres database this run creates and drops), a Fastify + pg server and a
 * bare Effect `HttpApi` + sql-pg server running Flowboard's by-id statement. Each server runs
 * pinned to core 0, autocannon in this process on core 1; rounds are interleaved between the
 * servers so they share the machine's moments; each server's CPU per request comes from its own
 * `/proc/<pid>/stat`. Scenarios: task by id (all servers), board of 200 tasks, create task, and a
 * mixed 80/20 read/write load at a fixed 1,000 req/s (Flowboard only).
 *
 * `npm run bench:http`. Knobs: BENCH_HTTP_SECONDS (per round, 5), BENCH_HTTP_ROUNDS (3),
 * BENCH_HTTP_CONNECTIONS (32), BENCH_HTTP_SCENARIOS (by-id,board,create,mixed), BENCH_HTTP_PEERS
 * (fastify,effect), BENCH_HTTP_DATABASE_URL (a server to create the database on; default
 * TEST_DATABASE_URL, DATABASE_URL, else postgres://postgres@127.0.0.1:5432), BENCH_PROFILE=1
 * (Flowboard under `--cpu-prof`, the profile in .scratch/, its breakdown printed), BENCH_HTTP_DEBUG=1
 * (each round's sent/answered counts and server CPU).
 */
import { Redis } from "ioredis"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { createScratchDatabase, type ScratchDatabase } from "./http/Database.js"
import { type Load, type Round, runRound } from "./http/Load.js"
import { freePort, pinSelf, placement, root, type Server, startServer, waitReady, cpuMs, rssMiB } from "./http/Processes.js"
import { printBreakdowns, type Windows } from "./http/Profile.js"
import { median, ratioLine, roundLine, summaryHeader, summaryLine, type Verdict, verdictLine } from "./http/Report.js"
import { seed, type Seeded } from "./http/Seed.js"

const numberFrom = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}
const listFrom = (name: string, fallback: string): ReadonlyArray<string> =>
  (process.env[name] ?? fallback).split(",").map((s) => s.trim()).filter((s) => s !== "")

const seconds = numberFrom("BENCH_HTTP_SECONDS", 5)
const rounds = numberFrom("BENCH_HTTP_ROUNDS", 3)
const connections = numberFrom("BENCH_HTTP_CONNECTIONS", 32)
const scenarios = listFrom("BENCH_HTTP_SCENARIOS", "by-id,board,create,mixed")
const peers = listFrom("BENCH_HTTP_PEERS", "fastify,effect")
const profiling = process.env["BENCH_PROFILE"] === "1"
const postgresServer = process.env["BENCH_HTTP_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
/**
 * Flowboard as deployed: with Redis (its read cache is off on Postgres without one). Its own key
 * prefix, deleted at the end. `BENCH_HTTP_REDIS_URL=off` measures the uncached server.
 */
const redisSetting = process.env["BENCH_HTTP_REDIS_URL"] ?? process.env["REDIS_URL"]
const redisUrl = redisSetting === undefined || redisSetting === "off" || redisSetting === "" ? undefined : redisSetting
const redisPrefix = `fbbench-http-${process.pid}:`
/**
 * The limiter runs on every request, with budgets no load here reaches (the cost is measured, not
 * the refusals); `BENCH_HTTP_RATE_LIMIT=off` measures the server without it, for the difference.
 */
const rateLimitEnv: Record<string, string> =
  process.env["BENCH_HTTP_RATE_LIMIT"] === "off"
    ? { RATE_LIMIT_ENABLED: "false" }
    : { RATE_LIMIT_READ: "1000000000", RATE_LIMIT_WRITE: "1000000000", RATE_LIMIT_EXPENSIVE: "1000000000", RATE_LIMIT_ANONYMOUS: "1000000000" }
const warmUpSeconds = Math.min(3, seconds)
const BOARD_TASKS = 200
const MIXED_RATE = 1_000

const known = ["by-id", "board", "create", "mixed"]
for (const scenario of scenarios) if (!known.includes(scenario)) throw new Error(`unknown scenario ${scenario} (known: ${known.join(", ")})`)

const loadavgText = () => loadavg().map((n) => n.toFixed(2)).join(" ")

/** Only what a server needs: not the caller's DATABASE_URL or REDIS_URL. */
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  // FLOWBOARD_FROM_SOURCE=1 runs the server from src/ (profiles then name source files, not chunks).
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "FLOWBOARD_FROM_SOURCE"]) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}

/** Every key the run's Flowboard made (streams, groups, cache entries). */
const dropRedisPrefix = async (url: string, prefix: string): Promise<void> => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = "0"
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== "0")
  } finally {
    redis.disconnect()
  }
}

const servers: Array<Server> = []
let database: ScratchDatabase | undefined
let cleaned: Promise<void> | undefined
/** Servers stopped, then the database dropped: on success, failure and Ctrl-C alike. */
const cleanUp = (): Promise<void> =>
  (cleaned ??= (async () => {
    await Promise.allSettled(servers.map((server) => server.stop()))
    if (database !== undefined) await database.drop().catch((error: unknown) => console.error(`could not drop ${database?.name}:`, error))
    if (redisUrl !== undefined) await dropRedisPrefix(redisUrl, redisPrefix).catch((error: unknown) => console.error(`could not delete ${redisPrefix}*:`, error))
  })())
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)))
process.once("SIGTERM", () => void cleanUp().then(() => process.exit(143)))

const startFlowboard = async (url: string, profileDir: string | undefined): Promise<{ server: Server; key: string }> => {
  const port = await freePort()
  const server = startServer({
    name: "flowboard",
    args: [...(profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]), "bin/flowboard.mjs", "serve"],
    env: {
      ...baseEnv(),
      DATABASE_URL: url,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_FORMAT: "json",
      ...rateLimitEnv,
      ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix })
    },
    port,
    core: 0
  })
  servers.push(server)
  await waitReady(server, "/health/ready")
  // The key is printed once by the first start's bootstrap, which may finish after readiness.
  const printedKey = () => /fb_[0-9a-f]+_[A-Za-z0-9_-]+/.exec(server.stdout())?.[0]
  for (let i = 0; i < 100 && printedKey() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  const key = printedKey()
  if (key === undefined) throw new Error(`flowboard printed no admin key:\n${server.stdout().slice(0, 2_000)}`)
  return { server, key }
}

const startPeer = async (name: "fastify" | "effect", url: string, seeded: Seeded): Promise<Server> => {
  const port = await freePort()
  const file = name === "fastify" ? "test/bench/http/FastifyPeer.ts" : "test/bench/http/EffectPeer.ts"
  const server = startServer({
    name: name === "fastify" ? "fastify+pg" : "bare Effect",
    args: ["--import", "tsx", file],
    env: { ...baseEnv(), PORT: String(port), PEER_DATABASE_URL: url, PEER_USER_ID: seeded.userId, NODE_ENV: "production" },
    port,
    core: 0
  })
  servers.push(server)
  await waitReady(server, `/api/v1/tasks/${seeded.taskId}`)
  return server
}

/** The peers answer the same JSON for the same task, or the comparison says so. */
const sameAnswer = async (flowboard: Server, peer: Server, taskId: string, authorization: string): Promise<string> => {
  const read = async (server: Server) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/tasks/${taskId}`, { headers: { authorization } })
    return { status: response.status, body: JSON.stringify(await response.json()) }
  }
  const [ours, theirs] = [await read(flowboard), await read(peer)]
  if (ours.status === theirs.status && ours.body === theirs.body) return `same status and JSON as Flowboard (${ours.body.length} bytes)`
  return `DIFFERS from Flowboard:\n    flowboard ${ours.status} ${ours.body}\n    ${peer.name} ${theirs.status} ${theirs.body}`
}

interface Measured {
  readonly scenario: string
  readonly byServer: Map<string, Array<Round>>
}

/** A warm-up per server, then `rounds` rounds, each server once per round in turn. */
const measure = async (scenario: string, targets: ReadonlyArray<readonly [Server, Load]>): Promise<Measured> => {
  const byServer = new Map<string, Array<Round>>()
  for (const [server, load] of targets) {
    await runRound(server, load, warmUpSeconds)
    byServer.set(server.name, [])
  }
  for (let i = 0; i < rounds; i++) {
    for (const [server, load] of targets) {
      const round = await runRound(server, load, seconds)
      byServer.get(server.name)?.push(round)
      console.log(roundLine(i, round))
    }
  }
  return { scenario, byServer }
}

const printSummary = (title: string, measured: Measured) => {
  console.log(`\n${title}`)
  console.log(summaryHeader())
  for (const [server, list] of measured.byServer) console.log(summaryLine(server, list))
}

const idleCpu = async (server: Server): Promise<number> => {
  const before = cpuMs(server.pid)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  return (cpuMs(server.pid) - before) / 2
}

const main = async () => {
  console.log(`bench:http  load average at start ${loadavgText()}; ${pinSelf(1)}; servers ${placement === "pinned" ? "on core 0" : "unpinned"}`)
  console.log(`bench:http  ${rounds} rounds × ${seconds} s per server and scenario after a ${warmUpSeconds} s warm-up, ${connections} connections; scenarios ${scenarios.join(", ")}; peers ${peers.join(", ") || "none"}`)
  database = await createScratchDatabase(postgresServer)
  console.log(`bench:http  database ${database.name} (synchronous_commit ${database.synchronousCommit}), dropped at the end`)
  console.log(
    redisUrl === undefined
      ? "bench:http  Flowboard without Redis: its read cache is off (BENCH_HTTP_REDIS_URL or REDIS_URL turns it on)"
      : `bench:http  Flowboard with Redis (read cache on, prefix ${redisPrefix}, deleted at the end); the peers read the database every time`
  )
  const profileDir = profiling ? join(root, ".scratch", `http-profile-${Date.now()}`) : undefined
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })

  const { server: flowboard, key } = await startFlowboard(database.url, profileDir)
  const authorization = `Bearer ${key}`
  const started = Date.now()
  const seeded = await seed(`http://127.0.0.1:${flowboard.port}`, authorization, BOARD_TASKS)
  console.log(`bench:http  seeded a board of ${BOARD_TASKS} tasks through the API in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const peerServers: Array<Server> = []
  if (scenarios.includes("by-id")) {
    for (const name of peers) {
      if (name !== "fastify" && name !== "effect") throw new Error(`unknown peer ${name} (fastify, effect)`)
      const peer = await startPeer(name, database.url, seeded)
      peerServers.push(peer)
      console.log(`bench:http  ${peer.name}: ${await sameAnswer(flowboard, peer, seeded.taskId, authorization)}`)
    }
  }
  const all = [flowboard, ...peerServers]
  const idle = await Promise.all(all.map(async (s) => `${s.name} ${(await idleCpu(s)).toFixed(0)} ms/s`))
  console.log(`bench:http  idle CPU ${idle.join(", ")}; RSS before load ${all.map((s) => `${s.name} ${rssMiB(s.pid).toFixed(0)} MiB`).join(", ")}`)

  const headers = { authorization }
  const verdicts: Array<string> = []
  const profileWindows = new Map<string, { windows: Array<readonly [number, number]>; requests: number }>()
  const noteWindows = (scenario: string, list: ReadonlyArray<Round>) =>
    profileWindows.set(scenario, { windows: list.map((r) => r.window), requests: list.reduce((n, r) => n + r.requests, 0) })

  if (scenarios.includes("by-id")) {
    console.log(`\nscenario by-id: GET /api/v1/tasks/:id, ${connections} connections`)
    const load: Load = { path: `/api/v1/tasks/${seeded.taskId}`, connections, headers }
    const measured = await measure("by-id", [[flowboard, load], ...peerServers.map((peer) => [peer, load] as const)])
    printSummary("task by id (peers: same statement and JSON, no API-key check, no logs/metrics/traces)", measured)
    const ours = measured.byServer.get("flowboard") ?? []
    noteWindows("by-id", ours)
    for (const peer of peerServers) console.log(ratioLine(peer.name, ours, measured.byServer.get(peer.name) ?? []))
    const fastify = measured.byServer.get("fastify+pg")
    if (fastify !== undefined) {
      const ratio = median(ours.map((r, i) => r.rps / (fastify[i]?.rps ?? Number.NaN)))
      verdicts.push(verdictLine("by-id ≥ 0.35× Fastify + pg req/s", ratio >= 0.35 ? "met" : "not met", `${ratio.toFixed(3)}×`))
    }
  }
  if (scenarios.includes("board")) {
    console.log(`\nscenario board: GET /api/v1/projects/:id/board (${BOARD_TASKS} tasks), ${connections} connections`)
    const measured = await measure("board", [[flowboard, { path: `/api/v1/projects/${seeded.boardProjectId}/board`, connections, headers }]])
    printSummary(`board view of ${BOARD_TASKS} tasks`, measured)
    const ours = measured.byServer.get("flowboard") ?? []
    noteWindows("board", ours)
    const rps = median(ours.map((r) => r.rps))
    const verdict: Verdict = rps >= 740 ? "met" : rps >= 560 ? "partly met" : "not met"
    verdicts.push(verdictLine("board ≥ 10× the issue's 56–74 req/s (560–740)", verdict, `${rps.toFixed(0)} req/s`))
  }
  const createBody = JSON.stringify({ title: "Created under load", priority: "high", labels: ["bench"] })
  const createRequest = {
    method: "POST",
    path: `/api/v1/projects/${seeded.writeProjectId}/tasks`,
    headers: { authorization, "content-type": "application/json" },
    body: createBody
  } as const
  if (scenarios.includes("create")) {
    console.log(`\nscenario create: POST /api/v1/projects/:id/tasks (no columnId: the first column), ${connections} connections`)
    const measured = await measure("create", [[flowboard, { path: createRequest.path, connections, headers, requests: [createRequest] }]])
    printSummary("create task", measured)
    const ours = measured.byServer.get("flowboard") ?? []
    noteWindows("create", ours)
    const rps = median(ours.map((r) => r.rps))
    const p99 = median(ours.map((r) => r.p99))
    verdicts.push(verdictLine("create ≥ 1,000 req/s with p99 ≤ 50 ms", rps >= 1_000 && p99 <= 50 ? "met" : "not met", `${rps.toFixed(0)} req/s, p99 ${p99.toFixed(0)} ms`))
  }
  if (scenarios.includes("mixed")) {
    console.log(`\nscenario mixed: 80 % GET task by id, 20 % POST create, offered at ${MIXED_RATE} req/s over ${connections} connections`)
    const read = { method: "GET", path: `/api/v1/tasks/${seeded.taskId}`, headers } as const
    const load: Load = { path: read.path, connections, headers, overallRate: MIXED_RATE, requests: [read, read, read, read, createRequest] }
    const measured = await measure("mixed", [[flowboard, load]])
    printSummary(`mixed 80/20 at ${MIXED_RATE} req/s offered`, measured)
    const ours = measured.byServer.get("flowboard") ?? []
    const p99 = median(ours.map((r) => r.p99))
    const failed = ours.reduce((n, r) => n + r.non2xx + r.errors, 0)
    const rps = median(ours.map((r) => r.rps))
    verdicts.push(
      verdictLine(
        `mixed at ${MIXED_RATE} req/s: p99 ≤ 20 ms, no errors`,
        p99 <= 20 && failed === 0 && rps >= MIXED_RATE * 0.95 ? "met" : "not met",
        `${rps.toFixed(0)} req/s answered, p99 ${p99.toFixed(0)} ms, ${failed} non-2xx/errors`
      )
    )
  }

  console.log("\ntargets (issue 10)")
  for (const line of verdicts) console.log(line)

  if (profileDir !== undefined) {
    await flowboard.stop()
    const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"))
    const windows: Windows = Object.fromEntries(profileWindows)
    writeFileSync(join(profileDir, "windows.json"), JSON.stringify(windows))
    if (file === undefined) console.log(`\nprofile: no .cpuprofile in ${profileDir} (did flowboard exit cleanly?)`)
    else printBreakdowns(join(profileDir, file), windows)
  }
  console.log(`\nbench:http  load average at end ${loadavgText()}`)
}

try {
  await main()
} finally {
  await cleanUp()
}
