import { describe } from "@effect/vitest"
import { Layer } from "effect"
import { SqlRepositoriesLive } from "../../src/repositories/sql/index.js"
import { aTaskRow, attachmentStorageContract } from "../contract/AttachmentStorageContract.js"
import { repositoryContract } from "../contract/RepositoryContract.js"
import { PostgresTest, skipPostgres } from "../support/Database.js"

/**
 * The repository and attachment-storage contracts on Postgres. `npm test` runs it on the in-memory adapters and on the
 * same SQL adapters over PGlite; Postgres-only behaviour (overlapping transactions) is raced in
 * test/integration/SqlRepositories.test.ts and test/slow/Races.test.ts.
 */
describe.skipIf(skipPostgres)("Postgres", () => {
  const OnPostgres = SqlRepositoriesLive.pipe(Layer.provideMerge(PostgresTest))
  repositoryContract("sql on Postgres", OnPostgres)
  attachmentStorageContract("in the database, on Postgres", OnPostgres, aTaskRow)
})
