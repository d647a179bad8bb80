import { MemoryRepositoriesLive } from "../../../src/repositories/memory/index.js"
import { jobRepositoryContract } from "../../integration/jobs/JobRepositoryContract.js"

jobRepositoryContract("MemoryJobRepository", MemoryRepositoriesLive)
