import { Config, Duration } from "effect"
import { hostname } from "node:os"
import { randomBytes } from "node:crypto"

/** How the workers read and stop. Durations are Effect durations: `10 seconds`, `500 millis`. */
export interface ConsumerOptions {
  /** How long in-flight deliveries may run on after shutdown begins; the rest stay pending. */
  readonly drainTimeout: Duration.Duration
  /** Entries another consumer has held un-acked this long are taken over (it is presumed dead). */
  readonly claimIdle: Duration.Duration
  /** How long one read waits for new entries before looping (and noticing a stop). */
  readonly block: Duration.Duration
  /**
   * Most deliveries one read takes and one unit of work handles (inbox rows in one statement,
   * one commit, one ack); default `DEFAULT_BATCH_SIZE`. A read takes what is there up to this,
   * it never waits to fill a batch.
   */
  readonly batchSize?: number
  /**
   * Other consumers silent this long with nothing pending are removed from the groups (dead
   * processes); default 10 × claimIdle, at least 5 minutes.
   */
  readonly pruneIdle?: Duration.Duration
}

export const DEFAULT_BATCH_SIZE = 100

export const ConsumerConfig: Config.Config<ConsumerOptions> = Config.all({
  drainTimeout: Config.duration("WORKER_DRAIN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  claimIdle: Config.duration("WORKER_CLAIM_IDLE").pipe(Config.withDefault(Duration.seconds(30))),
  block: Config.duration("WORKER_BLOCK").pipe(Config.withDefault(Duration.seconds(2))),
  batchSize: Config.integer("WORKER_BATCH_SIZE").pipe(
    Config.withDefault(DEFAULT_BATCH_SIZE),
    Config.validate({ message: "WORKER_BATCH_SIZE must be between 1 and 1000", validation: (n) => n >= 1 && n <= 1_000 })
  )
})

/**
 * Unique per process start, so a restarted worker never inherits the pending entries of its
 * previous life by name (they are claimed like any dead consumer's); host and pid for operators.
 */
export const consumerName = (): string => `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`
