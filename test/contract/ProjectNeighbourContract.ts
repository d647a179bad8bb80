import { describe, expect } from "@effect/vitest"
import { Data, Effect, Option } from "effect"
import type { Project } from "../../src/domain/Model.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { aProject, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

class Rollback extends Data.TaggedError("Rollback") {}

/**
 * `neighbourRank` looks across every project of a status, so on a shared database these tests
 * use ranks outside the rank alphabet ("!" sorts before "0", "~" after "z") and run in a unit
 * that is rolled back: no other test ever sees these projects.
 */
const inRolledBackUnit = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Transactor, ({ transaction }) =>
    transaction(Effect.zipRight(effect, new Rollback())).pipe(
      Effect.catchIf((error): error is Rollback => error instanceof Rollback, () => Effect.void)
    )
  )

const given = (ranks: ReadonlyArray<readonly [Project["status"], string]>) =>
  Effect.gen(function* () {
    const projects = yield* ProjectRepository
    const owner = yield* givenUser()
    const created: Array<Project> = []
    for (const [status, rank] of ranks) {
      const project = aProject(owner.id, { status, rank })
      yield* projects.insert(project)
      created.push(project)
    }
    return created
  })

const anchorOf = (p: Project) => ({ rank: p.rank, id: p.id })

export const projectNeighbourContract = (it: ContractIt) =>
  describe("ProjectRepository.neighbourRank", () => {
    it.effect("finds neighbours within a status in (rank, id) order, ties broken by id", () =>
      inRolledBackUnit(Effect.gen(function* () {
        const projects = yield* ProjectRepository
        // Created in this order, so m1.id < m2.id although both rank "!m".
        const [l, m1, m2, n, z] = yield* given([
          ["on_hold", "!l"], ["on_hold", "!m"], ["on_hold", "!m"], ["on_hold", "!n"], ["on_hold", "~z"],
          ["archived", "!k"], ["archived", "~~"]
        ])
        const next = (p: Project, exclude: Project | null = null) =>
          projects.neighbourRank("on_hold", anchorOf(p), "after", exclude?.id ?? null)
        const previous = (p: Project, exclude: Project | null = null) =>
          projects.neighbourRank("on_hold", anchorOf(p), "before", exclude?.id ?? null)

        expect(yield* next(m1!)).toStrictEqual(Option.some("!m"))
        expect(yield* next(m2!)).toStrictEqual(Option.some("!n"))
        expect(yield* next(m1!, m2!)).toStrictEqual(Option.some("!n"))
        expect(yield* previous(m2!)).toStrictEqual(Option.some("!m"))
        expect(yield* previous(m1!)).toStrictEqual(Option.some("!l"))
        expect(yield* previous(n!, m2!)).toStrictEqual(Option.some("!m"))
        expect(yield* previous(m2!, m1!)).toStrictEqual(Option.some("!l"))
        expect(yield* previous(l!)).toStrictEqual(Option.none())
        expect(yield* next(z!)).toStrictEqual(Option.none())
      })))

    it.effect("without an anchor, gives the first (after) or the last (before) of the status", () =>
      inRolledBackUnit(Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const [first, , last] = yield* given([
          ["completed", "!a"], ["completed", "!b"], ["completed", "~y"], ["planning", "!"], ["planning", "~~"]
        ])
        expect(yield* projects.neighbourRank("completed", null, "after", null)).toStrictEqual(Option.some("!a"))
        expect(yield* projects.neighbourRank("completed", null, "after", first!.id)).toStrictEqual(Option.some("!b"))
        expect(yield* projects.neighbourRank("completed", null, "before", null)).toStrictEqual(Option.some("~y"))
        expect(yield* projects.neighbourRank("completed", null, "before", last!.id)).not.toStrictEqual(Option.some("~y"))
      })))
  })
