/**
 * The real thing, for the lifecycle suites: `node bin/flowboard.mjs <command>` as a child
 * process, a TCP proxy between it and Postgres that a test can cut, pause and restore (the
 * shared server is never touched), and request tallies. Every child is killed when its scope
 * closes, whatever the test did.
 */
import { Deferred, Duration, Effect, Fiber, Option, Ref } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer as createNetServer, connect, type Server, type Socket } from "node:net"
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from "node:http"
import { fileURLToPath } from "node:url"
import { type Outcome, probe, type ProbeOptions } from "../support/HttpProbe.js"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** A port nothing listens on right now (the child is told to listen there). */
export const freePort = Effect.async<number>((resume) => {
  const server = createNetServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

export interface Exited {
  readonly code: number | null
  readonly signal: string | null
  readonly at: number
}

export interface Child {
  readonly pid: number
  /** Everything it wrote so far, stdout and stderr. */
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Effect.Effect<Exited>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

// The child gets only what it is given: no DATABASE_URL or REDIS_URL of the test run.
const baseEnv = () => {
  const env: Record<string, string> = {}
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}

/** `flowboard <args>` with `env` (and `LOG_FORMAT=json`), killed with SIGKILL if still running when the scope closes. */
export const spawnFlowboard = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<Exited>()
      const child: ChildProcess = spawn(process.execPath, ["bin/flowboard.mjs", ...args], {
        cwd: root,
        env: { ...baseEnv(), LOG_FORMAT: "json", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
      child.on("exit", (code, signal) => Deferred.unsafeDone(exited, Effect.succeed({ code, signal, at: Date.now() })))
      return {
        pid: child.pid ?? 0,
        stdout: () => stdout,
        stderr: () => stderr,
        exited: Deferred.await(exited),
        kill: (signal: NodeJS.Signals) => Effect.sync(() => void child.kill(signal)),
        child
      }
    }),
    ({ child, exited }) =>
      Effect.gen(function* () {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        yield* exited.pipe(Effect.timeout("5 seconds"), Effect.ignore)
      })
  ).pipe(Effect.map(({ exited, kill, pid, stderr, stdout }): Child => ({ exited, kill, pid, stderr, stdout })))

/** The admin key a first start prints once, when it has printed it. */
export const printedKey = (child: Child): Option.Option<string> => Option.fromNullable(/fb_[0-9a-f]+_[A-Za-z0-9_-]+/.exec(child.stdout())?.[0])

/**
 * The admin key, waiting for it (10 s at most): the first start prints it when the bootstrap's
 * unit of work (the user, the key, their audit entries) has committed, which may be just after
 * the process answers ready, since the two start side by side.
 */
export const awaitKey = (child: Child): Effect.Effect<string> =>
  Effect.gen(function* () {
    const deadline = Date.now() + 10_000
    for (;;) {
      const key = printedKey(child)
      if (Option.isSome(key)) return key.value
      if (Date.now() > deadline) return yield* Effect.dieMessage(`no admin key printed within 10 s:\n${child.stdout().slice(0, 2_000)}`)
      yield* Effect.sleep(Duration.millis(50))
    }
  })

export interface TcpProxy {
  readonly port: number
  /** Every connection destroyed, new ones refused. */
  readonly cut: Effect.Effect<void>
  readonly restore: Effect.Effect<void>
  /** Connections stay open but nothing passes, either way: a server that stopped answering. */
  readonly pause: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
}

/** A proxy to `target` on 127.0.0.1, up, closed with its scope. */
export const tcpProxy = (target: { readonly host: string; readonly port: number }) =>
  Effect.acquireRelease(
    Effect.async<TcpProxy & { readonly server: Server }>((resume) => {
      const pairs = new Set<readonly [Socket, Socket]>()
      let paused = false
      const flow = ([client, upstream]: readonly [Socket, Socket]) => {
        client.pipe(upstream)
        upstream.pipe(client)
      }
      const server = createNetServer((client) => {
        const upstream = connect(target.port, target.host)
        const pair = [client, upstream] as const
        pairs.add(pair)
        const drop = () => {
          pairs.delete(pair)
          client.destroy()
          upstream.destroy()
        }
        client.on("error", drop).on("close", drop)
        upstream.on("error", drop).on("close", drop)
        if (!paused) flow(pair)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            port,
            server,
            cut: Effect.async<void>((done) => {
              server.close(() => done(Effect.void))
              for (const [client, upstream] of pairs) {
                client.destroy()
                upstream.destroy()
              }
            }),
            restore: Effect.async<void>((done) => void server.listen(port, "127.0.0.1", () => done(Effect.void))),
            pause: Effect.sync(() => {
              paused = true
              for (const [client, upstream] of pairs) {
                client.unpipe(upstream)
                upstream.unpipe(client)
              }
            }),
            resume: Effect.sync(() => {
              paused = false
              for (const pair of pairs) flow(pair)
            })
          })
        )
      })
    }),
    // Closing a server that is already closed still calls back (with an error): still down.
    (proxy) => proxy.cut.pipe(Effect.timeout("1 second"), Effect.ignore)
  )

/** Outcomes of requests sent during one phase of a test. */
export interface Tally {
  readonly outcomes: ReadonlyArray<Outcome>
  readonly sent: number
  readonly refused: number
  readonly answered: number
  readonly closed: number
  readonly silent: number
  readonly byStatus: Record<string, number>
}

export const tally = (outcomes: ReadonlyArray<Outcome>): Tally => {
  const count = (tag: Outcome["_tag"]) => outcomes.filter((o) => o._tag === tag).length
  const byStatus: Record<string, number> = {}
  for (const o of outcomes) if (o._tag === "Answered") byStatus[o.status] = (byStatus[o.status] ?? 0) + 1
  return { outcomes, sent: outcomes.length, refused: count("Refused"), answered: count("Answered"), closed: count("Closed"), silent: count("Silent"), byStatus }
}

/**
 * Sends a request every `every` (each on its own fiber, so one left unanswered does not hold the
 * next back) until one is answered as `done` says, or `within` passes; waits for every answer
 * (each has its own deadline) and returns them all, in the order sent.
 */
export const probeUntil = (
  request: (i: number) => ProbeOptions,
  done: (outcome: Outcome) => boolean,
  options: { readonly every?: Duration.DurationInput; readonly within: Duration.DurationInput }
) =>
  Effect.gen(function* () {
    const reached = yield* Ref.make(false)
    const fibers: Array<Fiber.Fiber<Outcome>> = []
    const deadline = Date.now() + Duration.toMillis(Duration.decode(options.within))
    while (!(yield* Ref.get(reached)) && Date.now() < deadline) {
      const sent = probe(request(fibers.length)).pipe(Effect.tap((outcome) => (done(outcome) ? Ref.set(reached, true) : Effect.void)))
      fibers.push(yield* Effect.fork(sent))
      yield* Effect.sleep(options.every ?? "100 millis")
    }
    return { outcomes: yield* Effect.forEach(fibers, Fiber.join), reached: yield* Ref.get(reached) }
  })

/** `effect` every 50 ms until `done` holds (at most ~30 s); its last value. */
export const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 600; i++) {
      const value = yield* effect
      if (done(value)) return value
      yield* Effect.sleep("50 millis")
    }
    return yield* effect
  })

/** A `redis-server` of the suite's own, keeping nothing on disk; killed with the scope. */
export const redisServer = (port: number) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
      // Up when it answers a PING.
      const up = yield* eventually(Effect.promise(() => ping(port)), (ok) => ok)
      if (!up) return yield* Effect.dieMessage(`redis-server on port ${port} did not answer`)
      return child
    }),
    (child) => kill(child)
  )

export const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const child = spawn("redis-cli", ["-p", String(port), "PING"], { stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.on("close", () => resolve(out.trim() === "PONG"))
    child.on("error", () => resolve(false))
  })

export const kill = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })


/**
 * A load balancer as an orchestrator's service would be: it polls each backend's
 * `/health/ready` every `every` and sends each request (round robin, a connection of its own) to
 * a backend that last answered 200; `502` when none is ready or the backend failed.
 */
export const readinessBalancer = (backends: ReadonlyArray<number>, every: Duration.DurationInput = "100 millis") =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly server: HttpServer; readonly timer: NodeJS.Timeout }>((resume) => {
      const ready = new Set<number>()
      let next = 0
      const poll = () => {
        for (const port of backends) {
          const check = httpRequest({ host: "127.0.0.1", port, path: "/health/ready", agent: false, timeout: 500 }, (response) => {
            response.resume()
            if (response.statusCode === 200) ready.add(port)
            else ready.delete(port)
          })
          check.on("error", () => ready.delete(port))
          check.on("timeout", () => check.destroy())
          check.end()
        }
      }
      const timer = setInterval(poll, Duration.toMillis(Duration.decode(every)))
      poll()
      const server = createHttpServer((request, response) => {
        const candidates = backends.filter((port) => ready.has(port))
        const port = candidates[next++ % Math.max(1, candidates.length)]
        if (port === undefined) {
          response.writeHead(502).end("no backend ready")
          return
        }
        const upstream = httpRequest(
          { host: "127.0.0.1", port, method: request.method, path: request.url, headers: request.headers, agent: false },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(response)
          }
        )
        upstream.on("error", () => {
          if (!response.headersSent) response.writeHead(502).end("backend failed")
          else response.destroy()
        })
        request.pipe(upstream)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, server, timer }))
      })
    }),
    ({ server, timer }) =>
      Effect.async<void>((done) => {
        clearInterval(timer)
        server.closeAllConnections()
        server.close(() => done(Effect.void))
      })
  ).pipe(Effect.map(({ port }) => ({ port })))
