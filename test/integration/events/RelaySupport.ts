/** Helpers for the relay suites: producing outbox events, consuming them, cutting Redis off. */
import { SqlClient } from "@effect/sql"
import { expect } from "@effect/vitest"
import { type Context, Effect } from "effect"
import { createServer, type Server, type Socket, connect } from "node:net"
import type { AggregateType, OutboxEnvelope } from "../../../src/domain/Events.js"
import type { Delivery, EventTransport } from "../../../src/events/EventTransport.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { anEnvelope } from "../../contract/Fixtures.js"

/** `versions` events for each aggregate, versions 1..n, in the order a service would write them. */
export const history = (aggregates: ReadonlyArray<readonly [AggregateType, string]>, versions: number) =>
  aggregates.map(([aggregateType, aggregateId]) =>
    Array.from({ length: versions }, (_, i) =>
      anEnvelope({ type: aggregateType === "task" ? "task.updated.v1" : "project.updated.v1", aggregateType, aggregateId, aggregateVersion: i + 1 })))

/** Each aggregate's events in its own sequence of transactions (`perTransaction` at a time), all aggregates at once. */
export const produce = (histories: ReadonlyArray<ReadonlyArray<OutboxEnvelope>>, perTransaction: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* OutboxRepository
    yield* Effect.forEach(histories, (events) =>
      Effect.forEach(
        Array.from({ length: Math.ceil(events.length / perTransaction) }, (_, i) => events.slice(i * perTransaction, (i + 1) * perTransaction)),
        (chunk) => sql.withTransaction(outbox.append(chunk)),
        { discard: true }
      ), { concurrency: 8, discard: true })
  })

/** How many of `events` are still unpublished in the outbox. */
export const unpublished = (events: ReadonlyArray<OutboxEnvelope>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM outbox
      WHERE published_at IS NULL AND ${sql.in("id", events.map((e) => e.id))}`).pipe(Effect.map(([row]) => row?.n ?? -1))

/**
 * Reads and acknowledges until every one of `events` has arrived, then for `settleMs` more to
 * catch duplicates; gives up at `timeoutMs`. Answers the deliveries of `events` (others, left by
 * earlier tests on a shared database, are ignored) in the order received.
 */
export const collect = (
  transport: Context.Tag.Service<EventTransport>,
  group: string,
  events: ReadonlyArray<OutboxEnvelope>,
  { settleMs = 100, timeoutMs = 5_000 } = {}
) =>
  Effect.gen(function* () {
    const wanted = new Set(events.map((e) => e.id))
    const received: Array<Delivery> = []
    const seen = new Set<string>()
    const deadline = Date.now() + timeoutMs
    let settleUntil = Infinity
    while (Date.now() < Math.min(deadline, settleUntil)) {
      const batch = yield* transport.read({ group, consumer: "collector", count: 100, blockMs: 50, claimIdleMs: 60_000 })
      yield* transport.ack(group, batch)
      for (const delivery of batch) {
        if (!wanted.has(delivery.envelope.id)) continue
        received.push(delivery)
        seen.add(delivery.envelope.id)
      }
      if (seen.size === wanted.size && settleUntil === Infinity) settleUntil = Date.now() + settleMs
    }
    return received
  })

/** Distinct event ids among deliveries. */
export const distinct = (deliveries: ReadonlyArray<Delivery>) => new Set(deliveries.map((d) => d.envelope.id)).size

/** `effect` repeated every 10 ms until `done` holds of its value (at most ~3 s); its last value. */
export const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 300; i++) {
      const value = yield* effect
      if (done(value)) return value
      yield* Effect.sleep("10 millis")
    }
    return yield* effect
  })

export const aggregates = (n: number): ReadonlyArray<readonly [AggregateType, string]> =>
  Array.from({ length: n }, (_, i) => [i % 2 === 0 ? "task" : "project", crypto.randomUUID()] as const)

/** Every aggregate's versions arrived complete and in order: 1, 2, ..., perAggregate. */
export const expectInOrder = (versions: Map<string, Array<number>>, perAggregate: number) => {
  for (const received of versions.values()) expect(received).toEqual(Array.from({ length: perAggregate }, (_, i) => i + 1))
}

/**
 * Each event's first delivery only. Delivery is at least once: when a connection drops after
 * Redis applied a publish but before its reply arrived, the relay rolls back and publishes
 * that batch again, so an outage may legitimately repeat events — it must not lose or reorder
 * them.
 */
export const firstDeliveries = (deliveries: ReadonlyArray<Delivery>): ReadonlyArray<Delivery> => {
  const seen = new Set<string>()
  return deliveries.filter(({ envelope }) => !seen.has(envelope.id) && seen.add(envelope.id) !== undefined)
}

/** Per aggregate, the versions in the order they were received. */
export const versionsByAggregate = (deliveries: ReadonlyArray<Delivery>) => {
  const out = new Map<string, Array<number>>()
  for (const { envelope } of deliveries) {
    const key = `${envelope.aggregateType}/${envelope.aggregateId}`
    out.set(key, [...(out.get(key) ?? []), envelope.aggregateVersion])
  }
  return out
}

/**
 * A TCP proxy in front of Redis that can be cut: `down` refuses and drops every connection (as a
 * dead server or a partition would), `up` serves again on the same port. The shared Redis
 * server itself is never touched.
 */
export interface RedisProxy {
  readonly url: string
  readonly down: Effect.Effect<void>
  readonly up: Effect.Effect<void>
}

export const redisProxy = (target: URL) =>
  Effect.acquireRelease(
    Effect.async<RedisProxy>((resume) => {
      const sockets = new Set<Socket>()
      const server: Server = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("error", () => { client.destroy(); upstream.destroy() })
          socket.on("close", () => { sockets.delete(socket); client.destroy(); upstream.destroy() })
        }
        client.pipe(upstream).pipe(client)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        // Closing an already closed server reports an error to the callback: still down.
        const down = Effect.async<void>((done) => {
          server.close(() => done(Effect.void))
          for (const socket of sockets) socket.destroy()
        })
        const up = Effect.async<void>((done) => void server.listen(port, "127.0.0.1", () => done(Effect.void)))
        resume(Effect.succeed({ url: `redis://127.0.0.1:${port}`, down, up }))
      })
    }),
    (proxy) => proxy.down
  )
