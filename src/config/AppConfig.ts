import { Config, Option, Redacted } from "effect"

/** Everything the process reads from its environment, read once at the edge. */
export const HttpConfig = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(3000)),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0"))
})

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
