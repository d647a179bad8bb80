import { Config, Option, Redacted } from "effect"

/** Everything the process reads from its environment, read once at the edge. */
export const HttpConfig = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(3000)),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0"))
})

/**
 * The largest request body read, in bytes (`MAX_BODY_BYTES`, default 8 MiB: an import's 5 MB of
 * data fits with room for JSON escaping). A larger body is refused with 413 before it is read.
 */
export const MaxBodyBytes = Config.integer("MAX_BODY_BYTES").pipe(
  Config.validate({ message: "MAX_BODY_BYTES must be a positive number of bytes", validation: (n) => n > 0 }),
  Config.withDefault(8 * 1024 * 1024)
)

export const BootstrapConfig = Config.all({
  adminEmail: Config.string("FLOWBOARD_ADMIN_EMAIL").pipe(Config.withDefault("admin@flowboard.local"))
})

/** `embedded` (PGlite in a data directory) unless `DATABASE_URL` points at Postgres. */
export const RuntimeMode = Config.option(Config.redacted("DATABASE_URL")).pipe(
  Config.map((url) =>
    Option.isSome(url) && Redacted.value(url.value).trim() !== "" ? ("production" as const) : ("embedded" as const)
  )
)
export type RuntimeMode = "production" | "embedded"
