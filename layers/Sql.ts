import { Effect, Layer } from "effect"
import { InvalidatingRepositories } from "../src/cache/Invalidating.js"
import { MigrationsLive, PgliteClientLive, PostgresClientLive } from "../src/repositories/sql/Database.js"
import { SqlRepositoriesLive } from "../src/repositories/sql/index.js"
import { SqlReadiness } from "../src/repositories/sql/SqlReadiness.js"
import { BreakersLive } from "../src/resilience/Breakers.js"
import { TransportChoice } from "./Workers.js"
import { CacheLive } from "./Cache.js"
import { ServicesLive } from "./Services.js"

/**
 * Services on the SQL adapters, for whichever `SqlClient` is provided below (migrated first).
 * The repositories everyone above sees (services, handlers, workers) are the decorated ones that
 * report what each unit of work changed to the read cache.
 */
const onSql = (mode: string) =>
  Layer.mergeAll(ServicesLive, SqlReadiness(mode)).pipe(
    Layer.provideMerge(InvalidatingRepositories),
    Layer.provideMerge(SqlRepositoriesLive),
    Layer.provideMerge(CacheLive(mode)),
    Layer.provide(MigrationsLive)
  )

/** Production: Postgres at `DATABASE_URL`, behind its circuit breaker (resilience/Breakers.ts). */
export const ProductionLive = onSql("production").pipe(
  Layer.provideMerge(PostgresClientLive),
  Layer.provideMerge(Layer.unwrapEffect(Effect.map(TransportChoice, (transport) => BreakersLive(transport === "redis"))))
)

/** Embedded: PGlite in the data directory; zero set-up. */
export const EmbeddedLive = onSql("embedded").pipe(Layer.provideMerge(PgliteClientLive))
