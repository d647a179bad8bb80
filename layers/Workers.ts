import { Config, Effect, Layer, Option, Redacted } from "effect"
import { ConsumerProcessor } from "../src/events/ConsumerProcessor.js"
import { ConsumerRuntimeLive } from "../src/events/ConsumerRuntime.js"
import { InProcessTransportLive } from "../src/events/InProcessTransport.js"
import { RedisLive } from "../src/events/Redis.js"
import { RedisStreamsTransportLive } from "../src/events/RedisStreamsTransport.js"
import { RelayLive } from "../src/events/Relay.js"
import { DeliveryWorkerLive } from "../src/webhooks/DeliveryWorker.js"

/** `redis` when `REDIS_URL` is set (and not blank), else `in-process`. */
export const TransportChoice = Config.option(Config.redacted("REDIS_URL")).pipe(
  Config.map((url) => (Option.exists(url, (value) => Redacted.value(value).trim() !== "") ? ("redis" as const) : ("in-process" as const)))
)

/**
 * Redis Streams when `REDIS_URL` is set, else the in-process transport: embedded mode, or
 * production degraded to one process's worth of fan-out. A constant, so the relay and the
 * consumers of one process share one transport (the in-process one only works that way).
 */
export const EventTransportLive = Layer.unwrapEffect(
  Effect.map(TransportChoice, (choice) => (choice === "redis" ? RedisStreamsTransportLive.pipe(Layer.provide(RedisLive)) : InProcessTransportLive))
)

/**
 * The background half of Flowboard: the outbox relay, one consumer loop per registered handler,
 * and the webhook delivery worker. Needs the repositories, the services, the handler registry and
 * `SqlClient` (from the app layer) and an `EventTransport`; produces nothing, and drains on shutdown.
 */
export const WorkersLive = Layer.mergeAll(RelayLive, ConsumerRuntimeLive.pipe(Layer.provide(ConsumerProcessor.Default)), DeliveryWorkerLive)
