/**
 * Start-up and memory, as issue 10 states the targets: `flowboard --help`; `start` (embedded) on
 * an empty data directory and again over it, each from the spawn to the first answered request
 * (`/health/live`); the embedded process's RSS once `/health/ready` answers; and `serve`'s idle
 * RSS on Postgres (its own database, created and dropped here; skipped without a server).
 * `node -e 0` is the peer. Times are medians of `RUNS` (default 3) runs, with the range.
 *
 *   npm run bench:startup        (DATABASE_URL: a server to create the scratch database on)
 *
 * It runs what users run (`node bin/flowboard.mjs`), so dist/ is built first when it is not
 * fresh. Figures are indicative on a shared machine: the load average is printed with them.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { get } from "node:http"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import Pg from "pg"
import { checkBuild } from "../../bin/Freshness.mjs"

const root = fileURLToPath(new URL("../../", import.meta.url))
const runs = Number(process.env.RUNS ?? 3)
const port = 3900 + Math.floor(Math.random() * 90)

const load = () => loadavg().map((n) => n.toFixed(2)).join(" ")
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
const range = (values: ReadonlyArray<number>, unit: (n: number) => string) =>
  values.length > 1 ? ` (${unit(Math.min(...values))} – ${unit(Math.max(...values))}, ${values.length} runs)` : ""

/** One probe with its own short timeout: a refused or stalled connection is just "not yet". */
const answers = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const request = get(`http://127.0.0.1:${port}${path}`, { timeout: 500 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on("timeout", () => request.destroy())
    request.on("error", () => resolve(false))
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async (path: string, started: number) => {
  while (!(await answers(path))) {
    if (performance.now() - started > 60_000) throw new Error(`no answer on ${path} within 60 s`)
    await sleep(10)
  }
  return performance.now() - started
}

/** VmRSS (now) and VmHWM (peak) of a process, in MB. */
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024
  return { rss: field("VmRSS"), peak: field("VmHWM") }
}

interface Run {
  readonly firstAnswer: number
  readonly ready: number
  readonly rss: number
  readonly peak: number
}

/** `flowboard <command>` until its first answer, then until ready (RSS read then, after `idle` ms), then SIGTERM. */
const run = async (command: string, env: Record<string, string | undefined>, idle = 0): Promise<Run> => {
  const started = performance.now()
  // `undefined` unsets a variable of this process's environment (an empty string would be a value).
  const childEnv: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...process.env, PORT: String(port), LOG_LEVEL: "warn", ...env })) {
    if (value !== undefined) childEnv[name] = value
  }
  const child = spawn(process.execPath, ["bin/flowboard.mjs", command], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "ignore", "inherit"]
  })
  const exited = new Promise((resolve) => child.once("exit", resolve))
  try {
    const firstAnswer = await until("/health/live", started)
    const ready = await until("/health/ready", started)
    if (idle > 0) await sleep(idle)
    return { firstAnswer, ready, ...memory(child.pid ?? 0) }
  } finally {
    child.kill("SIGTERM")
    await exited
  }
}

const timeCommand = (args: ReadonlyArray<string>) => {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "ignore" })
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited with ${result.status}`)
  return performance.now() - started
}

const verdict = (value: number, target: number) => (value < target ? "met" : "NOT MET")

const report = (line: string) => console.log(line)

console.log(`load average before: ${load()}`)
if (checkBuild(root).state !== "fresh") spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" })
const build = checkBuild(root)
report(`startup: running ${build.state === "fresh" ? build.entry.slice(root.length) : "the sources through tsx"}`)

const peer = Array.from({ length: 5 }, () => timeCommand(["-e", "0"]))
const help = Array.from({ length: 5 }, () => timeCommand(["bin/flowboard.mjs", "--help"]))
report(`startup: node -e 0 (peer)                       ${seconds(median(peer))}${range(peer, seconds)}`)
report(`startup: flowboard --help                       ${seconds(median(help))}${range(help, seconds)}`)

const dir = mkdtempSync(join(tmpdir(), "flowboard-bench-"))
try {
  const embedded = { DATABASE_URL: undefined, REDIS_URL: undefined }
  // With no template cached (a fresh cache directory): initdb and the migrations, then the
  // template is made. What the very first start after a migration is added costs.
  const cold = await run("start", { ...embedded, FLOWBOARD_DATA_DIR: join(dir, "cold"), FLOWBOARD_CACHE_DIR: join(dir, "cache") })
  const first: Array<Run> = []
  const second: Array<Run> = []
  for (let i = 0; i < runs; i++) {
    const dataDir = join(dir, `data-${i}`)
    first.push(await run("start", { ...embedded, FLOWBOARD_DATA_DIR: dataDir }))
    second.push(await run("start", { ...embedded, FLOWBOARD_DATA_DIR: dataDir }))
  }
  const firstAnswer = first.map((r) => r.firstAnswer)
  const secondAnswer = second.map((r) => r.firstAnswer)
  const rss = second.map((r) => r.rss)
  report(`startup: first start, empty data dir → answer  ${seconds(median(firstAnswer))}${range(firstAnswer, seconds)}  target < 4 s: ${verdict(median(firstAnswer), 4000)}`)
  report(`startup:   (no template cached yet: ${seconds(cold.firstAnswer)}, peak RSS ${cold.peak.toFixed(0)} MB; once per set of migrations)`)
  report(`startup: second start → answer                  ${seconds(median(secondAnswer))}${range(secondAnswer, seconds)}  target < 1.5 s: ${verdict(median(secondAnswer), 1500)}`)
  report(`startup: embedded start, RSS at ready           ${median(rss).toFixed(0)} MB${range(rss, (n) => `${n.toFixed(0)} MB`)} (first start: ${median(first.map((r) => r.rss)).toFixed(0)} MB)  target < 300 MB: ${verdict(median(rss), 300)}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const server = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const admin = new Pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 })
const reachable = await admin.connect().then(() => true, () => false)
if (!reachable) {
  report(`startup: serve idle RSS (Postgres)               skipped: no server at DATABASE_URL`)
} else {
  const database = `flowboard_bench_startup_${process.pid}`
  await admin.query(`CREATE DATABASE ${database}`)
  try {
    const url = new URL(server)
    url.pathname = `/${database}`
    const serve: Array<Run> = []
    for (let i = 0; i < runs; i++) serve.push(await run("serve", { DATABASE_URL: url.toString(), REDIS_URL: undefined }, 3000))
    const rss = serve.map((r) => r.rss)
    const answer = serve.map((r) => r.firstAnswer)
    report(`startup: serve (Postgres), idle RSS              ${median(rss).toFixed(0)} MB${range(rss, (n) => `${n.toFixed(0)} MB`)}  target < 150 MB: ${verdict(median(rss), 150)}`)
    report(`startup:   (serve to first answer: ${seconds(median(answer))})`)
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  }
}
report(`startup: load average after: ${load()} (1, 5, 15 min; 2 cores shared)`)
