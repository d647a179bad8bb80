import { Config, ConfigError, Duration, Either } from "effect"
import { breakerConfig } from "../resilience/Breakers.js"
import { webhookRetry } from "../resilience/RetrySchedules.js"
import { parseAllowList } from "../webhooks/AddressGuard.js"

/**
 * `WEBHOOK_*`: deliveries to subscribers' receivers (docs/webhooks.md).
 *
 * - `WEBHOOK_ALLOW_HTTP`: accept `http://` receivers (default off: https only).
 * - `WEBHOOK_ALLOWED_HOSTS`: host names, addresses and CIDR blocks that may be reached although
 *   private, loopback or link-local (comma-separated; default none): on-premises receivers, tests.
 * - `WEBHOOK_TIMEOUT` (10 s) bounds a whole attempt, `WEBHOOK_CONNECT_TIMEOUT` (3 s) its connect;
 *   `WEBHOOK_RESPONSE_MAX_BYTES` (4 KiB) is how much of an answer is read and logged.
 * - `WEBHOOK_RETRY_BASE` / `_CAP` / `WEBHOOK_MAX_ATTEMPTS`: the retry schedule (RetrySchedules.ts).
 * - `WEBHOOK_DISABLE_AFTER` (3 days): a subscription failing that long is disabled.
 * - `WEBHOOK_SECRET_GRACE` (24 h): how long a rotated-out secret still signs.
 * - `WEBHOOK_CONCURRENCY` (16): deliveries in flight per worker process (one per subscription at a time).
 * - `WEBHOOK_POLL_INTERVAL` (1 s): how often an idle worker looks for due deliveries.
 * - `WEBHOOK_LOG_RETENTION_DAYS` (30): finished deliveries and their attempts are kept this long
 *   (pruned by the retention job, src/jobs/JobScheduler.ts).
 * - `WEBHOOK_BREAKER_*`: the per-endpoint breakers (open for 60 s by default).
 */


export const WebhookConfig = Config.all({
  allowHttp: Config.boolean("WEBHOOK_ALLOW_HTTP").pipe(Config.withDefault(false)),
  allowedHosts: Config.string("WEBHOOK_ALLOWED_HOSTS").pipe(
    Config.withDefault(""),
    Config.mapOrFail((text) =>
      Either.mapLeft(parseAllowList(text), (problem) => ConfigError.InvalidData(["WEBHOOK_ALLOWED_HOSTS"], `WEBHOOK_ALLOWED_HOSTS: ${problem}`))
    )
  ),
  timeout: Config.duration("WEBHOOK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  connectTimeout: Config.duration("WEBHOOK_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(3))),
  responseMaxBytes: Config.integer("WEBHOOK_RESPONSE_MAX_BYTES").pipe(
    Config.validate({ message: "WEBHOOK_RESPONSE_MAX_BYTES must be from 0 to 65536", validation: (n) => n >= 0 && n <= 65536 }),
    Config.withDefault(4096)
  ),
  retryBase: Config.duration("WEBHOOK_RETRY_BASE").pipe(Config.withDefault(Duration.decode(webhookRetry.base))),
  retryCap: Config.duration("WEBHOOK_RETRY_CAP").pipe(Config.withDefault(Duration.decode(webhookRetry.cap))),
  maxAttempts: Config.integer("WEBHOOK_MAX_ATTEMPTS").pipe(
    Config.validate({ message: "WEBHOOK_MAX_ATTEMPTS must be from 1 to 100", validation: (n) => n >= 1 && n <= 100 }),
    Config.withDefault((webhookRetry.maxRetries ?? 0) + 1)
  ),
  disableAfter: Config.duration("WEBHOOK_DISABLE_AFTER").pipe(Config.withDefault(Duration.days(3))),
  secretGrace: Config.duration("WEBHOOK_SECRET_GRACE").pipe(Config.withDefault(Duration.hours(24))),
  concurrency: Config.integer("WEBHOOK_CONCURRENCY").pipe(
    Config.validate({ message: "WEBHOOK_CONCURRENCY must be from 1 to 256", validation: (n) => n >= 1 && n <= 256 }),
    Config.withDefault(16)
  ),
  pollInterval: Config.duration("WEBHOOK_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  breaker: breakerConfig("WEBHOOK", Duration.seconds(30), Duration.seconds(60))
})
export type WebhookSettings = Config.Config.Success<typeof WebhookConfig>
