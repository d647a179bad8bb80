import { Cause, Duration, Effect, Fiber, Layer, Queue } from "effect"
import { infrastructureRetry } from "../resilience/RetrySchedules.js"
import { ConsumerConfig, consumerName, type ConsumerOptions, DEFAULT_BATCH_SIZE } from "./ConsumerConfig.js"
import { ConsumerProcessor } from "./ConsumerProcessor.js"
import type { EventHandler } from "./EventHandler.js"
import { type Delivery, EventTransport } from "./EventTransport.js"
import { HandlerRegistry, wants } from "./HandlerRegistry.js"

/** One handler's loop: a reader filling a bounded queue of batches, `concurrency` workers draining it. */
interface HandlerLoop {
  readonly handler: EventHandler
  readonly reader: Fiber.RuntimeFiber<unknown, unknown>
  readonly queue: Queue.Queue<ReadonlyArray<Delivery>>
  readonly workers: ReadonlyArray<Fiber.RuntimeFiber<void>>
}

/**
 * Logs a failed iteration and lets the loop go on, after `pause` so a failure that repeats at
 * once cannot spin; interruption (shutdown) still stops the loop.
 */
const survive = <R>(what: string, effect: Effect.Effect<void, unknown, R>, pause: Duration.DurationInput = 0): Effect.Effect<void, never, R> =>
  Effect.catchAllCause(effect, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.interrupt
      : Effect.logError(`${what} failed; continuing`, cause).pipe(Effect.zipRight(Effect.sleep(pause)))
  )

export const makeConsumerRuntime = (options: ConsumerOptions) =>
  Effect.gen(function* () {
    const registry = yield* HandlerRegistry
    const transport = yield* EventTransport
    const processor = yield* ConsumerProcessor
    const consumer = consumerName()

    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE

    // Ack only after the outcomes are final: handled, already handled, dead-lettered or
    // unwanted, for every delivery of the batch, acked together. Anything else (a dead letter
    // could not be written, the ack failed) leaves the whole batch pending, and it comes back
    // after `claimIdle`: what committed is then a duplicate the inbox skips.
    const deliver = (handler: EventHandler, batch: ReadonlyArray<Delivery>) => {
      const wanted = batch.filter((delivery) => wants(handler, delivery.envelope.type))
      return (wanted.length === 0 ? Effect.void : processor.processBatch(handler, wanted.map((delivery) => delivery.envelope))).pipe(
        Effect.zipRight(transport.ack(handler.name, batch)),
        Effect.annotateLogs({
          deliveries: batch.length,
          maxDeliveryCount: batch.reduce((max, delivery) => Math.max(max, delivery.deliveryCount), 0)
        })
      )
    }

    const start = (handler: EventHandler) =>
      Effect.gen(function* () {
        const queue = yield* Queue.bounded<ReadonlyArray<Delivery>>(handler.concurrency)
        const read = transport
          .read({
            group: handler.name,
            consumer,
            count: batchSize,
            blockMs: Duration.toMillis(options.block),
            claimIdleMs: Duration.toMillis(options.claimIdle)
          })
          .pipe(
            Effect.tapError((error) => Effect.logWarning("reading events failed; retrying", error)),
            Effect.retry(infrastructureRetry)
          )
        const reader = yield* transport.ensureGroup(handler.name).pipe(
          Effect.tapError((error) => Effect.logWarning("creating the consumer group failed; retrying", error)),
          Effect.retry(infrastructureRetry),
          Effect.zipRight(Effect.forever(survive("read", Effect.flatMap(read, (batch) => (batch.length === 0 ? Effect.void : Queue.offer(queue, batch))), "1 second"))),
          Effect.annotateLogs({ handler: handler.name, consumer }),
          Effect.forkScoped
        )
        const worker = Effect.forever(survive("delivery", Effect.flatMap(Queue.take(queue), (batch) => deliver(handler, batch))))
        const workers = yield* Effect.replicateEffect(
          worker.pipe(Effect.annotateLogs({ handler: handler.name, consumer }), Effect.asVoid, Effect.forkScoped),
          handler.concurrency
        )
        return { handler, reader, queue, workers } satisfies HandlerLoop
      })

    /**
     * Stop reading; drop what is queued but not started (it stays pending in the transport);
     * give the deliveries in flight `drainTimeout` to commit and ack, then interrupt them, which
     * rolls their units back and leaves them pending for another consumer.
     */
    const drain = (loops: ReadonlyArray<HandlerLoop>) =>
      Effect.gen(function* () {
        yield* Effect.logInfo("consumers stopping: draining in-flight deliveries")
        const readers = loops.map((loop) => loop.reader)
        const workers = loops.flatMap((loop) => loop.workers)
        // Shutting a queue down ends its idle workers at once; busy ones end after their delivery.
        const stop = Fiber.interruptAll(readers).pipe(
          Effect.zipRight(Effect.forEach(loops, (loop) => Queue.shutdown(loop.queue), { discard: true })),
          Effect.zipRight(Fiber.awaitAll(workers))
        )
        // Finalizers run uninterruptibly; the timeout needs to be able to cut the wait short.
        const drained = yield* Effect.interruptible(stop).pipe(Effect.timeoutOption(options.drainTimeout))
        if (drained._tag === "None") {
          yield* Effect.logWarning("drain timed out: abandoning in-flight deliveries (they stay pending)")
          yield* Fiber.interruptAll([...readers, ...workers])
        }
        yield* Effect.logInfo("consumers stopped")
      }).pipe(Effect.annotateLogs({ consumer }))

    // Dead processes' consumer names would stay registered in every group for ever: once their
    // pending entries have been claimed (claimIdle) and they have been silent for pruneIdle
    // (live readers touch their group every `block`), they are removed, atomically on Redis.
    const pruneIdle = options.pruneIdle ?? Duration.max(Duration.times(options.claimIdle, 10), Duration.minutes(5))
    const prune = Effect.forEach(registry.handlers, (handler) =>
      transport.pruneConsumers(handler.name, consumer, Duration.toMillis(pruneIdle)).pipe(
        Effect.tap((removed) => (removed > 0 ? Effect.logInfo(`removed ${removed} dead consumers from group ${handler.name}`) : Effect.void)),
        Effect.catchAll((error) => Effect.logDebug("pruning dead consumers failed; trying again later", error))
      ), { discard: true })
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.min(pruneIdle, Duration.minutes(1))), prune)))

    const loops = yield* Effect.forEach(registry.handlers, start)
    // Added after the forks, so it runs before the scope interrupts them.
    yield* Effect.addFinalizer(() => drain(loops))
    yield* Effect.logInfo("consumers started").pipe(
      Effect.annotateLogs({ consumer, transport: transport.name, handlers: registry.handlers.map((h) => h.name).join(",") })
    )
  })

/** The workers: one consumer loop per registered handler, in this layer's scope. */
export const ConsumerRuntimeLive = Layer.scopedDiscard(Effect.flatMap(ConsumerConfig, makeConsumerRuntime))
