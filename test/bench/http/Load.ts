/**
 * One round of load: autocannon (in this process, which runs on the other core) against one
 * server, with that server's own CPU time read from `/proc` before and after, so its cost per
 * request holds whatever else shares the machine.
 */
import autocannon from "autocannon"
import { cpuMs, rssMiB, type Server } from "./Processes.js"

export interface Load {
  readonly path: string
  readonly connections: number
  /** Requests each connection cycles through (defaults to one `GET path`). */
  readonly requests?: ReadonlyArray<autocannon.Request>
  /** A fixed offered rate (req/s over all connections) instead of as fast as answers come. */
  readonly overallRate?: number
  readonly headers: Record<string, string>
}

export interface Round {
  readonly server: string
  readonly seconds: number
  readonly requests: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly cpuMsPerRequest: number
  readonly cpuShare: number
  readonly rssMiB: number
  /** When it ran, on the monotonic clock V8's profiler stamps its samples with (µs). */
  readonly window: readonly [number, number]
}

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n)

export const runRound = async (server: Server, load: Load, seconds: number): Promise<Round> => {
  const cpuBefore = cpuMs(server.pid)
  const started = monotonicMicros()
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${load.path}`,
    connections: load.connections,
    duration: seconds,
    headers: load.headers,
    // Fresh objects each round: autocannon may keep state on the request objects it is given.
    ...(load.requests === undefined ? {} : { requests: load.requests.map((request) => ({ ...request })) }),
    ...(load.overallRate === undefined ? {} : { overallRate: load.overallRate })
  })
  const ended = monotonicMicros()
  if (process.env["BENCH_HTTP_DEBUG"] === "1") console.log(`    debug: sent ${result.requests.sent}, answered ${result.requests.total}, errors ${result.errors}, timeouts ${result.timeouts}, server CPU ${(cpuMs(server.pid) - cpuBefore).toFixed(0)} ms`)
  const cpu = cpuMs(server.pid) - cpuBefore
  const requests = result.requests.total
  const elapsed = (ended - started) / 1e6
  return {
    server: server.name,
    seconds: elapsed,
    requests,
    rps: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuMsPerRequest: requests === 0 ? Number.NaN : cpu / requests,
    cpuShare: cpu / 1000 / elapsed,
    rssMiB: rssMiB(server.pid),
    window: [started, ended]
  }
}
