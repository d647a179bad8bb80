/**
 * The event transport on Redis Streams: a stream per priority (`<prefix>events:high|default|low`),
 * a consumer group per handler on each. Entries carry one field, `envelope` (EnvelopeCodec).
 *
 * read: claims entries idle longer than `claimIdleMs` (XAUTOCLAIM, checked at most every
 * claimIdleMs / 4 per consumer), then takes new ones in the weighted priority order (Priority.ts),
 * both as scripts (RedisStreamScripts.ts). With nothing to take it blocks on `XREAD` (not
 * XREADGROUP: waiting claims nothing) on the consumer's own connection, then looks again.
 * A group Redis lost (restart without persistence, FLUSHALL: `NOGROUP`) is re-created from the
 * start of the stream, so entries published since are still delivered, and the call retried.
 */
import { Clock, type Context, type Duration, Effect, Either, Layer, Option, RcMap, Schema } from "effect"
import type { Redis as IORedis } from "ioredis"
import { decodeEnvelope, encodeEnvelope } from "./EnvelopeCodec.js"
import { type Delivery, EventTransport, type Priority, TransportError } from "./EventTransport.js"
import { priorities, readOrder } from "./Priority.js"
import { guardRedis } from "../resilience/Breakers.js"
import { observeCommand, Redis } from "./Redis.js"
import { claimScript, ClaimReply, field, GroupsReply, pruneConsumersScript, readNewScript, ReadNewReply, trimScript } from "./RedisStreamScripts.js"

export interface RedisStreamsTransportOptions {
  /** How often acknowledged entries are trimmed; default 1 minute. */
  readonly trimInterval?: Duration.DurationInput
}

const reason = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))
const isNoGroup = (error: TransportError) => error.message.includes("NOGROUP")

const attempt = <A>(what: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new TransportError({ message: `Redis ${what}: ${reason(cause)}`, cause }) })

/**
 * Every ioredis failure (connection, timeout, reply error) becomes a TransportError; each call is
 * timed, counted and traced, and goes through the `redis` circuit breaker when one is installed.
 */
const call = <A>(what: string, run: () => Promise<A>) =>
  guardRedis(attempt(what, run), (open) => new TransportError({ message: `Redis ${what}: ${open.message}`, cause: open })).pipe(observeCommand(what))

/**
 * As `call`, for a command one of whose error replies is an answer: `expected` turns it into
 * `answer` before it is observed, so it is neither counted as a failed command nor marks the span.
 */
const callAnswering = <A, B>(what: string, run: () => Promise<A>, expected: (error: TransportError) => boolean, answer: B) =>
  attempt(what, run).pipe(
    Effect.catchIf(expected, () => Effect.succeed(answer)),
    observeCommand(what)
  )

/** `XINFO` on a stream that does not exist (yet, or any more after a flush). */
const isNoSuchKey = (error: TransportError) => error.message.includes("no such key")

const decodeReply = <A, I>(schema: Schema.Schema<A, I>, what: string) => (reply: unknown) =>
  Schema.decodeUnknown(schema)(reply).pipe(
    Effect.mapError((cause) => new TransportError({ message: `Redis ${what}: unexpected reply`, cause }))
  )

export const make = (options: RedisStreamsTransportOptions = {}) =>
  Effect.gen(function* () {
    const { commands: redis, dedicated, prefix } = yield* Redis
    const keyOf = (priority: Priority) => `${prefix}events:${priority}`
    const keys = priorities.map(keyOf)
    const priorityOf = new Map(priorities.map((p) => [keyOf(p), p]))
    const undecodable = `${prefix}events:undecodable`
    // One blocking connection per reader (group and consumer: a process reads several groups
    // under one consumer name, and waits on a shared connection would queue behind each other),
    // kept while it keeps reading.
    const readers = yield* RcMap.make({ lookup: (reader: string) => dedicated(`reader:${reader}`), idleTimeToLive: "1 minute" })
    const claimCursors = new Map<string, ReadonlyArray<string>>()
    const lastClaimCheck = new Map<string, number>()
    const rounds = new Map<string, number>()

    const ensureGroup = (group: string) =>
      Effect.forEach(keys, (key) =>
        call("XGROUP CREATE", () => redis.xgroup("CREATE", key, group, "0", "MKSTREAM")).pipe(
          Effect.catchIf((error) => error.message.includes("BUSYGROUP"), () => Effect.void)
        ), { discard: true, concurrency: "unbounded" })

    const withGroup = <A>(group: string, effect: Effect.Effect<A, TransportError>) =>
      effect.pipe(
        Effect.catchIf(isNoGroup, () =>
          Effect.logWarning(`Redis lost consumer group ${group}; re-creating it`).pipe(
            Effect.zipRight(ensureGroup(group)),
            Effect.zipRight(effect)
          ))
      )

    /** Decodes entries; an entry that is not an envelope is moved aside and acknowledged. */
    const deliveries = (group: string, key: string, entries: ReadonlyArray<readonly [string, ReadonlyArray<string>, number?]>) =>
      Effect.gen(function* () {
        const priority = priorityOf.get(key)!
        const good: Array<Delivery> = []
        for (const [id, fields, deliveryCount] of entries) {
          const text = field(fields, "envelope")
          const decoded = typeof text === "string" ? decodeEnvelope(text) : Either.left("no envelope field")
          if (Either.isRight(decoded)) {
            good.push({ id, envelope: decoded.right.envelope, priority, deliveryCount: deliveryCount ?? 1 })
            continue
          }
          yield* Effect.logError(`Undecodable entry ${key} ${id} moved to ${undecodable}: ${decoded.left}`)
          yield* call("XADD undecodable", () =>
            redis.multi().xadd(undecodable, "*", "stream", key, "id", id, "group", group, "reason", decoded.left, ...fields)
              .xack(key, group, id).exec())
        }
        return good
      })

    const claim = (group: string, consumer: string, count: number, claimIdleMs: number) =>
      Effect.gen(function* () {
        const cursorKey = `${group}\u0000${consumer}`
        const cursors = claimCursors.get(group) ?? keys.map(() => "0-0")
        const reply = yield* call("XAUTOCLAIM", () =>
          redis.eval(claimScript, keys.length, ...keys, group, consumer, claimIdleMs, count, ...cursors)
        ).pipe(Effect.flatMap(decodeReply(ClaimReply, "XAUTOCLAIM")))
        claimCursors.set(group, reply.map(([, cursor]) => cursor))
        lastClaimCheck.set(cursorKey, yield* Clock.currentTimeMillis)
        return (yield* Effect.forEach(reply, ([key, , claimed]) => deliveries(group, key, claimed))).flat()
      })

    const claimDue = (group: string, consumer: string, claimIdleMs: number, now: number) =>
      now - (lastClaimCheck.get(`${group}\u0000${consumer}`) ?? -Infinity) >= claimIdleMs / 4

    const takeNew = (group: string, consumer: string, count: number) =>
      Effect.gen(function* () {
        const round = rounds.get(group) ?? 0
        rounds.set(group, round + 1)
        const order = readOrder(round).map(keyOf)
        const reply = yield* call("XREADGROUP", () => redis.eval(readNewScript, order.length, ...order, group, consumer, count)).pipe(
          Effect.flatMap(decodeReply(ReadNewReply, "XREADGROUP"))
        )
        if (reply[0] === 0) return { taken: [], newest: order.map((key, i) => [key, reply[1][i] ?? "0-0"] as const) }
        const taken = yield* Effect.forEach(reply[1], ([key, entries]) => deliveries(group, key, entries))
        return { taken: taken.flat(), newest: [] }
      })

    /** Waits until an entry newer than `newest` appears on any stream, or `ms` pass. */
    const waitForNew = (reader: string, newest: ReadonlyArray<readonly [string, string]>, ms: number) =>
      Effect.scoped(
        Effect.flatMap(RcMap.get(readers, reader), (connection: IORedis) =>
          call("XREAD BLOCK", () =>
            connection.call("XREAD", "COUNT", 1, "BLOCK", ms, "STREAMS", ...newest.map(([key]) => key), ...newest.map(([, id]) => id))
          ))
      )

    const read: Context.Tag.Service<EventTransport>["read"] = ({ blockMs, claimIdleMs, consumer, count, group }) =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + blockMs
        let now = yield* Clock.currentTimeMillis
        const claimed = claimDue(group, consumer, claimIdleMs, now) ? yield* claim(group, consumer, count, claimIdleMs) : []
        if (claimed.length >= count) return claimed
        while (true) {
          const { newest, taken } = yield* takeNew(group, consumer, count - claimed.length)
          if (taken.length > 0 || claimed.length > 0) return [...claimed, ...taken]
          now = yield* Clock.currentTimeMillis
          // BLOCK 0 means "for ever" to Redis, so the last millisecond is not waited for.
          if (deadline - now < 1) return []
          yield* waitForNew(`${group}/${consumer}`, newest, Math.floor(deadline - now))
        }
      }).pipe((effect) => withGroup(group, effect), Effect.withSpan("RedisStreamsTransport.read"))

    const trim = Effect.forEach(keys, (key) =>
      call("XTRIM", () => redis.eval(trimScript, 1, key)).pipe(Effect.map((n) => (typeof n === "number" ? n : 0)))
    ).pipe(Effect.map((removed) => removed.reduce((a, b) => a + b, 0)))

    yield* Effect.forkScoped(
      Effect.forever(Effect.delay(Effect.catchAll(trim, (error) => Effect.logWarning("Stream trim failed", error)), options.trimInterval ?? "1 minute"))
    )

    const epochKey = `${prefix}epoch`
    return EventTransport.of({
      name: "redis",
      epoch: call("GET epoch", () => redis.get(epochKey)).pipe(Effect.map(Option.fromNullable)),
      // SET … NX GET: one command that sets the marker only if absent and answers the old value.
      adoptEpoch: (candidate) =>
        call("SET epoch", () => redis.set(epochKey, candidate, "NX", "GET")).pipe(Effect.map((before) => before ?? candidate)),
      pruneConsumers: (group, consumer, idleMs) =>
        call("XGROUP DELCONSUMER", () => redis.eval(pruneConsumersScript, keys.length, ...keys, group, consumer, idleMs)).pipe(
          Effect.map((n) => (typeof n === "number" ? n : 0))
        ),
      publish: (batch) =>
        Effect.gen(function* () {
          if (batch.length === 0) return
          const encoded = yield* Effect.forEach(batch, ({ envelope, priority }) =>
            Effect.map(encodeEnvelope(envelope, priority), (text) => [keyOf(priority), text] as const))
          // MULTI: the whole batch is appended or none of it, so a failure means a clean retry.
          const transaction = redis.multi()
          for (const [key, text] of encoded) transaction.xadd(key, "*", "envelope", text)
          const results = yield* call("XADD", () => transaction.exec())
          const failed = results?.find(([error]) => error !== null)
          if (results === null || failed !== undefined) {
            return yield* new TransportError({ message: `Redis XADD: ${reason(failed?.[0] ?? "transaction aborted")}` })
          }
        }).pipe(Effect.withSpan("RedisStreamsTransport.publish", { attributes: { count: batch.length } })),
      ensureGroup,
      read,
      ack: (group, acked) =>
        Effect.forEach(priorities, (priority) => {
          const ids = acked.filter((d) => d.priority === priority).map((d) => d.id)
          // XACK on a group Redis lost answers 0, not NOGROUP: nothing to recover here.
          return ids.length === 0 ? Effect.void : call("XACK", () => redis.xack(keyOf(priority), group, ...ids))
        }, { discard: true, concurrency: "unbounded" }),
      lag: (group) =>
        Effect.forEach(keys, (key) =>
          Effect.gen(function* () {
            const groups = yield* callAnswering("XINFO GROUPS", () => redis.xinfo("GROUPS", key), isNoSuchKey, []).pipe(
              Effect.flatMap(decodeReply(GroupsReply, "XINFO GROUPS"))
            )
            const info = groups.find((fields) => field(fields, "name") === group)
            if (info === undefined) return { pending: 0, backlog: 0 }
            const pending = Number(field(info, "pending") ?? 0)
            const lag = field(info, "lag")
            if (typeof lag === "number") return { pending, backlog: lag }
            // Redis cannot always tell the lag (e.g. a group created at 0 on a trimmed stream): count.
            const after = yield* call("XRANGE", () => redis.xrange(key, `(${field(info, "last-delivered-id")}`, "+", "COUNT", 100_000))
            return { pending, backlog: after.length }
          }), { concurrency: "unbounded" }).pipe(
          Effect.map((all) => all.reduce((a, b) => ({ pending: a.pending + b.pending, backlog: a.backlog + b.backlog })))
        ),
      trim
    })
  })

export const layer = (options: RedisStreamsTransportOptions = {}): Layer.Layer<EventTransport, never, Redis> =>
  Layer.scoped(EventTransport, make(options))

/** Production's transport, over `RedisLive`. */
export const RedisStreamsTransportLive = layer()
