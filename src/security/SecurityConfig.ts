import { Config, Duration } from "effect"

/**
 * `RATE_LIMIT_*`: how many requests each budget allows per `RATE_LIMIT_WINDOW`, spent evenly
 * (GCRA: the whole quota may come as one burst, then it refills continuously). Per API key:
 * `READ` (GET, HEAD), `WRITE` (every other method), `EXPENSIVE` (bulk, import, export, replay,
 * which also spend a write). Per client address: `ANONYMOUS` (no key, or a key that is not even
 * well-formed). The defaults are far above what a person or an integration sends; they stop a
 * runaway loop or a scraper, not a team.
 */
const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be a whole number of at least 1`, validation: (n) => n >= 1 }),
    Config.withDefault(fallback)
  )

export const RateLimitConfig = Config.all({
  enabled: Config.boolean("RATE_LIMIT_ENABLED").pipe(Config.withDefault(true)),
  window: Config.duration("RATE_LIMIT_WINDOW").pipe(
    Config.validate({ message: "RATE_LIMIT_WINDOW must be at least one second", validation: (d) => Duration.toMillis(d) >= 1000 }),
    Config.withDefault(Duration.minutes(1))
  ),
  read: positive("RATE_LIMIT_READ", 3000),
  write: positive("RATE_LIMIT_WRITE", 1200),
  expensive: positive("RATE_LIMIT_EXPENSIVE", 30),
  anonymous: positive("RATE_LIMIT_ANONYMOUS", 600),
  /** A shared (Redis) check not answered by then is made locally instead. */
  redisTimeout: Config.duration("RATE_LIMIT_REDIS_TIMEOUT").pipe(Config.withDefault(Duration.millis(100))),
  /** Buckets the in-process limiter keeps (least recently used dropped first). */
  memoryCapacity: positive("RATE_LIMIT_MEMORY_CAPACITY", 100_000)
})
export type RateLimitSettings = Config.Config.Success<typeof RateLimitConfig>

/**
 * `AUTH_BLOCK_*`: failed authentication. More than `AUTH_BLOCK_FAILURES` failures within
 * `AUTH_BLOCK_WINDOW` from one client address, or against one key prefix, blocks that address or
 * prefix for `AUTH_BLOCK_BASE`, doubled for every further block within a day, at most
 * `AUTH_BLOCK_MAX`. A blocked caller gets `429` for everything, a right key included.
 */
export const AuthBlockConfig = Config.all({
  failures: positive("AUTH_BLOCK_FAILURES", 10),
  window: Config.duration("AUTH_BLOCK_WINDOW").pipe(Config.withDefault(Duration.minutes(5))),
  base: Config.duration("AUTH_BLOCK_BASE").pipe(Config.withDefault(Duration.minutes(1))),
  max: Config.duration("AUTH_BLOCK_MAX").pipe(Config.withDefault(Duration.hours(1)))
})
export type AuthBlockSettings = Config.Config.Success<typeof AuthBlockConfig>

/**
 * `TRUST_PROXY`: the proxies (addresses or CIDR ranges, comma-separated, or `loopback`,
 * `private`) whose `X-Forwarded-For` is believed. Unset, the client address is the socket's and
 * the header is ignored, so a client cannot choose the address its budget is counted under.
 */
export const TrustProxyConfig = Config.string("TRUST_PROXY").pipe(
  Config.withDefault(""),
  Config.map((text) => text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== ""))
)

/**
 * Response headers. `SERVED_OVER_TLS`: clients reach the API over https (at a proxy or here), so
 * responses carry `Strict-Transport-Security` for `HSTS_MAX_AGE`. `SERVER_TIMING`: who sees the
 * `Server-Timing` header (statement count and SQL time): `admin` (requests by an admin key,
 * the default), `all` (development), `off`. `CORS_ORIGINS`: browser origins allowed to call
 * the API (comma-separated, or `*`); unset, no CORS headers at all.
 */
export const HeadersConfig = Config.all({
  servedOverTls: Config.boolean("SERVED_OVER_TLS").pipe(Config.withDefault(false)),
  hstsMaxAge: Config.duration("HSTS_MAX_AGE").pipe(Config.withDefault(Duration.days(365))),
  serverTiming: Config.literal("admin", "all", "off")("SERVER_TIMING").pipe(Config.withDefault("admin" as const)),
  corsOrigins: Config.string("CORS_ORIGINS").pipe(
    Config.withDefault(""),
    Config.map((text) => text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")),
    Config.validate({
      message: "CORS_ORIGINS takes origins like https://app.example.com (scheme, host, optional port), or * alone",
      validation: (origins) =>
        (origins.length === 1 && origins[0] === "*") || origins.every((origin) => /^https?:\/\/[^/\s*]+$/.test(origin))
    })
  )
})
export type HeadersSettings = Config.Config.Success<typeof HeadersConfig>

/**
 * `LIVE_STREAMS_PER_KEY` open live-event streams per API key, `LIVE_STREAMS_MAX` per process:
 * each holds a connection and a subscription for as long as the client keeps it.
 */
export const LiveStreamsConfig = Config.all({
  perKey: positive("LIVE_STREAMS_PER_KEY", 20),
  perProcess: positive("LIVE_STREAMS_MAX", 2000)
})
