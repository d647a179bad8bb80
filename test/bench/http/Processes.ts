/**
 * The servers under load, as child processes: pinned to one core when `taskset` is there, their
 * own CPU time and RSS read from `/proc/<pid>` (so a server's cost per request does not depend on
 * what else shares the machine), and stopped with SIGTERM (SIGKILL if they linger).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { get } from "node:http"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../../../", import.meta.url))

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/** Cores this machine has, as the scheduler sees them. */
const cores = (): number => {
  try {
    return readFileSync("/proc/cpuinfo", "utf8").split("\n").filter((line) => line.startsWith("processor")).length
  } catch {
    return 1
  }
}

/** Where the servers and the load generator run, for the report. */
export const placement = hasTaskset && cores() >= 2 ? "pinned" : "unpinned"

/** Moves this process (the load generator) to `core`, when it can; says what it did. */
export const pinSelf = (core: number): string => {
  if (placement !== "pinned") return `not pinned (${hasTaskset ? `${cores()} core(s)` : "no taskset"})`
  execFileSync("taskset", ["-a", "-p", "-c", String(core), String(process.pid)], { stdio: "ignore" })
  return `load generator on core ${core}`
}

/** A port nothing listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export interface Server {
  readonly name: string
  readonly pid: number
  readonly port: number
  /** The first 256 KiB it wrote to stdout (Flowboard prints its admin key there once). */
  readonly stdout: () => string
  readonly stderr: () => string
  readonly stop: () => Promise<void>
}

const KEEP = 256 * 1024

/**
 * `command args` with `env` on `core` (via `taskset -c`, which execs it: the pid is the server's).
 * Output is read and mostly discarded, so a server logging every request never blocks on a full pipe.
 */
export const startServer = (options: {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly port: number
  readonly core: number
}): Server => {
  const [command, ...rest] = placement === "pinned"
    ? ["taskset", "-c", String(options.core), process.execPath, ...options.args]
    : [process.execPath, ...options.args]
  const child: ChildProcess = spawn(command ?? process.execPath, rest, {
    cwd: root,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    if (stdout.length < KEEP) stdout += chunk.toString("utf8")
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-KEEP)
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("exit", () => resolve())
  })
  return {
    name: options.name,
    pid: child.pid ?? 0,
    port: options.port,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))])
      if (!gone) {
        child.kill("SIGKILL")
        await exited
      }
    }
  }
}

const answers = (url: string): Promise<number | undefined> =>
  new Promise((resolve) => {
    const request = get(url, { timeout: 1_000 }, (response) => {
      response.resume()
      resolve(response.statusCode)
    })
    request.on("timeout", () => request.destroy())
    request.on("error", () => resolve(undefined))
  })

/** Waits until `path` answers 200; fails with the server's output when it exits or `withinMs` passes. */
export const waitReady = async (server: Server, path: string, withinMs = 90_000): Promise<void> => {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if ((await answers(`http://127.0.0.1:${server.port}${path}`)) === 200) return
    if (!existsSync(`/proc/${server.pid}`)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${server.name} did not answer ${path} with 200\nstdout:\n${server.stdout().slice(-3_000)}\nstderr:\n${server.stderr().slice(-3_000)}`)
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** utime + stime of `pid`, in milliseconds (resolution: one clock tick, usually 10 ms). */
export const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1000) / ticksPerSecond
}

/** Resident set size of `pid`, in MiB. */
export const rssMiB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return line === undefined ? Number.NaN : Number(line.replace(/\D+/g, "")) / 1024
}
