import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import { Project } from "../../src/domain/Model.js"
import { MemoryRepositoriesLive } from "../../src/repositories/memory/index.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { UserRepository } from "../../src/repositories/UserRepository.js"
import { aUser, givenProject } from "../contract/Fixtures.js"
import { repositoryContract } from "../contract/RepositoryContract.js"

repositoryContract("in-memory repositories", MemoryRepositoriesLive)

// What the fake promises beyond the contract.
describe("in-memory repositories, beyond the contract", () => {
  it.effect("each build of the layer starts from an empty store", () =>
    Effect.gen(function* () {
      yield* Effect.flatMap(UserRepository, (users) => users.insert(aUser())).pipe(Effect.provide(MemoryRepositoriesLive))
      const count = yield* Effect.flatMap(UserRepository, (users) => users.count).pipe(Effect.provide(MemoryRepositoriesLive))
      expect(count).toBe(0)
    }))

  it.effect("fibers forked inside a unit join it instead of waiting for it", () =>
    Effect.gen(function* () {
      const { transaction } = yield* Transactor
      const users = yield* UserRepository
      const [a, b] = [aUser(), aUser()]
      yield* transaction(Effect.all([users.insert(a), transaction(users.insert(b))], { concurrency: "unbounded" }))
      expect(yield* users.count).toBe(2)
    }).pipe(Effect.provide(MemoryRepositoriesLive)))

  it.effect("an update whose row does not carry expectedVersion + 1 is a defect", () =>
    Effect.gen(function* () {
      const projects = yield* ProjectRepository
      const { project } = yield* givenProject()
      const exit = yield* Effect.exit(projects.update(new Project({ ...project, name: "Same version" }), 1))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(Option.getOrThrow(yield* projects.findById(project.id)).name).toBe(project.name)
    }).pipe(Effect.provide(MemoryRepositoriesLive)))
})
