import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { UserId } from "../../src/domain/Ids.js"
import type { Project } from "../../src/domain/Model.js"
import { type ProjectFilter, ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { allPages, ids } from "./Assertions.js"
import { aMember, aProject, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

/** Inserts projects owned by `userId` and makes the user a member of those flagged `member`. */
const givenProjects = (userId: UserId, specs: ReadonlyArray<Partial<Project> & { readonly member?: boolean }>) =>
  Effect.gen(function* () {
    const projects = yield* ProjectRepository
    const created: Array<Project> = []
    for (const { member = true, ...fields } of specs) {
      const project = aProject(userId, fields)
      yield* projects.insert(project)
      if (member) yield* projects.addMember(aMember(project.id, userId))
      created.push(project)
    }
    return created
  })

const filter = (memberId: UserId, fields: Partial<ProjectFilter> = {}): ProjectFilter => ({
  memberId,
  status: null,
  search: null,
  ...fields
})

export const projectListContract = (it: ContractIt) =>
  describe("ProjectRepository.list", () => {
    it.effect("lists the projects the user is a member of, in id order", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const user = yield* givenUser()
        const [a, b, notMember, c] = yield* givenProjects(user.id, [{}, {}, { member: false }, {}])
        yield* givenProjects((yield* givenUser()).id, [{}])
        const rows = yield* projects.list(filter(user.id), { limit: 10, after: null })
        expect(ids(rows)).toStrictEqual([a!.id, b!.id, c!.id])
        expect(ids(rows)).not.toContain(notMember!.id)
      }))

    it.effect("filters by status", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const user = yield* givenUser()
        const [active, , alsoActive] = yield* givenProjects(user.id, [
          { status: "active" }, { status: "archived" }, { status: "active" }
        ])
        const rows = yield* projects.list(filter(user.id, { status: "active" }), { limit: 10, after: null })
        expect(ids(rows)).toStrictEqual([active!.id, alsoActive!.id])
      }))

    it.effect("searches name, key and description as a case-insensitive literal substring", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const user = yield* givenUser()
        const [byName, byDescription, byKey, wildcard] = yield* givenProjects(user.id, [
          { name: "Apollo Launch" }, { description: "The APOLLO archive" }, { name: "Other" }, { name: "100% done" }
        ])
        const search = (text: string, status: Project["status"] | null = null) =>
          Effect.map(projects.list(filter(user.id, { search: text, status }), { limit: 10, after: null }), ids)
        expect(yield* search("aPoLLo")).toStrictEqual([byName!.id, byDescription!.id])
        expect(yield* search(byKey!.key.slice(1).toLowerCase())).toStrictEqual([byKey!.id])
        expect(yield* search("100%")).toStrictEqual([wildcard!.id])
        expect(yield* search("1_0")).toStrictEqual([])
        expect(yield* search("apollo", "archived")).toStrictEqual([])
      }))

    it.effect("pages through the filtered projects, each exactly once", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const user = yield* givenUser()
        const created = yield* givenProjects(user.id, [{}, {}, {}, {}, {}, {}])
        const pages = yield* allPages((page) => projects.list(filter(user.id), page), 2)
        expect(pages.map((page) => page.length)).toStrictEqual([2, 2, 2])
        expect(pages.flatMap(ids)).toStrictEqual(ids(created))
      }))
  })
