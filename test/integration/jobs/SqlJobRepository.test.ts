import { describe } from "@effect/vitest"
import { Layer } from "effect"
import { SqlTransactorLive } from "../../../src/repositories/sql/index.js"
import { SqlJobRepositoryLive } from "../../../src/repositories/sql/SqlJobRepository.js"
import { PgliteTest, PostgresTest, skipPostgres } from "../../support/Database.js"
import { jobRepositoryContract } from "./JobRepositoryContract.js"

const adapters = Layer.mergeAll(SqlJobRepositoryLive, SqlTransactorLive)

jobRepositoryContract("SqlJobRepository on PGlite", adapters.pipe(Layer.provide(PgliteTest)))
describe.skipIf(skipPostgres)("Postgres", () => {
  jobRepositoryContract("SqlJobRepository on Postgres", adapters.pipe(Layer.provide(PostgresTest)))
})
