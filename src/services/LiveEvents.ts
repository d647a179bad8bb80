import { Chunk, Clock, Config, Deferred, Duration, Effect, Metric, Option, Queue, Ref, Schedule, type Scope, Stream, SubscriptionRef } from "effect"
import { projectIdOf } from "../domain/Activity.js"
import type { Actor } from "../domain/Actor.js"
import type { RepositoryError } from "../domain/Errors.js"
import type { OutboxEnvelope } from "../domain/Events.js"
import type { ProjectId } from "../domain/Ids.js"
import { EventLogRepository } from "../repositories/EventLogRepository.js"
import { ProjectAccess } from "./ProjectAccess.js"
import { advance, initialTail, type TailState, windowStart } from "./OutboxTail.js"

export const LiveEventsConfig = Config.all({
  /** How often each API process reads the outbox tail; the live stream's added latency. */
  pollInterval: Config.duration("LIVE_EVENTS_POLL_INTERVAL").pipe(Config.withDefault(Duration.millis(500))),
  /** How late (after its id was minted) an event may commit and still be streamed live. */
  lookback: Config.duration("LIVE_EVENTS_LOOKBACK").pipe(Config.withDefault(Duration.seconds(5))),
  /** Events a slow client may have waiting before its stream is ended (it resumes with Last-Event-ID). */
  bufferSize: Config.integer("LIVE_EVENTS_BUFFER").pipe(Config.withDefault(1_000))
})

export const liveStreams = Metric.gauge("flowboard_live_streams", { description: "Live event streams open in this process" })
export const liveStreamsOverflowed = Metric.counter("flowboard_live_streams_overflowed_total", {
  description: "Live event streams ended because their client fell a whole buffer behind",
  incremental: true
})

const BATCH = 500
const WINDOW_ROWS = 2_000
const REPLAY_PAGE = 200

/** What a stream carries: first the news that it is subscribed, then events. */
export type LiveMessage = { readonly _tag: "Subscribed" } | { readonly _tag: "Event"; readonly event: OutboxEnvelope }
const subscribed: LiveMessage = { _tag: "Subscribed" }
const asMessage = (event: OutboxEnvelope): LiveMessage => ({ _tag: "Event", event })

interface Subscriber {
  readonly projectId: ProjectId
  readonly queue: Queue.Queue<OutboxEnvelope>
}

/**
 * Live project events for the Server-Sent Events route: a process-wide fan-out fed by this
 * process's own tail of the outbox, so every API process sees every event whichever worker
 * handles it, with no consumer group per process. A subscriber's buffer is bounded: a client
 * that falls that far behind has its stream ended and resumes from the outbox by its
 * `Last-Event-ID`, so a slow reader costs neither memory nor other readers' latency.
 */
export class LiveEvents extends Effect.Service<LiveEvents>()("flowboard/LiveEvents", {
  scoped: Effect.gen(function* () {
    const log = yield* EventLogRepository
    const access = yield* ProjectAccess
    const config = yield* LiveEventsConfig
    const subscribers = yield* SubscriptionRef.make<ReadonlySet<Subscriber>>(new Set())
    const closed = yield* Deferred.make<void>()

    const publish = (events: ReadonlyArray<OutboxEnvelope>) =>
      Effect.flatMap(Ref.get(subscribers), (current) =>
        Effect.forEach(events, (event) => {
          const projectId = projectIdOf(event)
          const targets = [...current].filter((s) => Option.contains(projectId, s.projectId))
          // A full buffer ends that stream alone; the client resumes by its Last-Event-ID.
          const overflow = (s: Subscriber) => Effect.zipRight(Metric.increment(liveStreamsOverflowed), Queue.shutdown(s.queue))
          return Effect.forEach(targets, (s) => Effect.flatMap(Queue.offer(s.queue, event), (ok) => (ok ? Effect.void : overflow(s))), {
            discard: true
          })
        }, { discard: true })
      )

    const subscribe = (projectId: ProjectId): Effect.Effect<Queue.Dequeue<OutboxEnvelope>, never, Scope.Scope> =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const subscriber: Subscriber = { projectId, queue: yield* Queue.dropping<OutboxEnvelope>(config.bufferSize) }
          yield* Metric.set(liveStreams, (yield* Ref.updateAndGet(subscribers, (set) => new Set([...set, subscriber]))).size)
          if (yield* Deferred.isDone(closed)) yield* Queue.shutdown(subscriber.queue)
          return subscriber
        }),
        (subscriber) =>
          Ref.updateAndGet(subscribers, (set) => new Set([...set].filter((s) => s !== subscriber))).pipe(
            Effect.flatMap((set) => Metric.set(liveStreams, set.size)),
            Effect.zipRight(Queue.shutdown(subscriber.queue))
          )
      ).pipe(Effect.map((subscriber) => subscriber.queue))

    // One read of the tail: the window behind the watermark again (late commits), then what is new.
    const poll = (state: TailState, deliver: boolean): Effect.Effect<readonly [TailState, boolean], RepositoryError> =>
      Effect.gen(function* () {
        const late = yield* log.range(windowStart(state.watermark, config.lookback), state.watermark, WINDOW_ROWS)
        const fresh = yield* log.range(state.watermark, null, BATCH)
        const [next, unseen] = advance(state, late, fresh, config.lookback)
        if (deliver) yield* publish(unseen)
        return [next, fresh.length === BATCH] as const
      })

    // Reads until caught up; then, if `forever`, reads again every poll interval.
    const tail = (start: TailState, deliver: boolean, forever: boolean) =>
      Effect.gen(function* () {
        let state = start
        for (;;) {
          const [next, more] = yield* poll(state, deliver).pipe(
            Effect.catchAll((error) => Effect.as(Effect.logWarning("live events: reading the outbox failed", error), [state, false] as const))
          )
          state = next
          if (more) continue
          if (!forever) return state
          yield* Effect.sleep(config.pollInterval)
        }
      })

    // Before any client can connect, the tail catches up silently: what is already there is history.
    const primed = yield* tail(initialTail(yield* Clock.currentTimeMillis), false, false)
    yield* Effect.forkScoped(Effect.zipRight(Effect.sleep(config.pollInterval), tail(primed, true, true)))

    // On shutdown every stream ends, so the server's close is not held open by them.
    yield* Effect.addFinalizer(() =>
      Deferred.succeed(closed, undefined).pipe(
        Effect.zipRight(Effect.flatMap(Ref.get(subscribers), (set) => Effect.forEach(set, (s) => Queue.shutdown(s.queue), { discard: true })))
      )
    )

    const replay = (projectId: ProjectId, after: string) =>
      Stream.paginateChunkEffect(after, (cursor) =>
        Effect.map(log.projectEventsAfter(projectId, cursor, REPLAY_PAGE), (rows) => {
          const last = rows.at(-1)
          return [Chunk.fromIterable(rows), rows.length === REPLAY_PAGE && last !== undefined ? Option.some(last.id) : Option.none()] as const
        })
      )

    /**
     * A member's stream of the project's events: first those after `lastEventId` from the
     * outbox, then live ones. It subscribes before replaying, so nothing falls between the two,
     * and says so first (`Subscribed`); what arrives both ways is sent once.
     */
    const open = Effect.fn("LiveEvents.open")(function* (actor: Actor, projectId: ProjectId, lastEventId: string | null) {
      yield* access.require(actor, projectId, "viewer")
      return Stream.unwrapScoped(
        Effect.gen(function* () {
          const queue = yield* subscribe(projectId)
          const replayed = new Set<string>()
          const history = lastEventId === null ? Stream.empty : replay(projectId, lastEventId).pipe(Stream.tap((e) => Effect.sync(() => replayed.add(e.id))))
          const live = Stream.fromQueue(queue).pipe(Stream.filter((e) => !replayed.has(e.id)))
          return Stream.concat(Stream.make(subscribed), Stream.map(Stream.concat(history, live), asMessage))
        })
      ).pipe(Stream.interruptWhen(Deferred.await(closed)))
    })

    return {
      open,
      publish,
      subscribe,
      /** How many streams are open in this process: now, then at every change. */
      subscriberCounts: Stream.map(subscribers.changes, (set) => set.size)
    } as const
  })
}) {}

/** How often an idle stream sends a comment line, so proxies and browsers keep it open. */
export const heartbeats = Stream.fromSchedule(Schedule.spaced(Duration.seconds(15)))
