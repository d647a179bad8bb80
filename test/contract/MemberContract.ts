import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Member, Project } from "../../src/domain/Model.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { expectNone, expectSome, failureTag } from "./Assertions.js"
import { aMember, aUser, at, givenProject, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const memberContract = (it: ContractIt) =>
  describe("ProjectRepository members", () => {
    it.effect("adds a member and finds it", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const member = aMember(project.id, (yield* givenUser()).id, { role: "viewer", addedAt: at(42) })
        expect(yield* projects.addMember(member)).toBe(true)
        expectSome(Member, yield* projects.findMember(project.id, member.userId), member)
        expectNone(yield* projects.findMember(project.id, aUser().id))
      }))

    it.effect("finds a project with one user's membership of it in one read, and nothing for a non-member", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const member = aMember(project.id, (yield* givenUser()).id, { role: "editor", addedAt: at(7) })
        yield* projects.addMember(member)
        const found = yield* projects.findAccess(project.id, member.userId)
        expectSome(Project, Option.map(found, (a) => a.project), project)
        expectSome(Member, Option.map(found, (a) => a.member), member)
        expectNone(yield* projects.findAccess(project.id, aUser().id))
        expectNone(yield* projects.findAccess((yield* givenProject()).project.id, member.userId))
      }))

    it.effect("answers false for an existing member and keeps its role", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const member = aMember(project.id, (yield* givenUser()).id, { role: "viewer" })
        yield* projects.addMember(member)
        expect(yield* projects.addMember(new Member({ ...member, role: "owner" }))).toBe(false)
        expectSome(Member, yield* projects.findMember(project.id, member.userId), member)
      }))

    it.effect("the same user may be a member of several projects", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const user = yield* givenUser()
        const [a, b] = [(yield* givenProject()).project, (yield* givenProject()).project]
        expect(yield* projects.addMember(aMember(a.id, user.id))).toBe(true)
        expect(yield* projects.addMember(aMember(b.id, user.id))).toBe(true)
      }))

    it.effect("updates a member's role", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const member = aMember(project.id, (yield* givenUser()).id, { role: "viewer" })
        yield* projects.addMember(member)
        const promoted = new Member({ ...member, role: "editor" })
        yield* projects.updateMember(promoted)
        expectSome(Member, yield* projects.findMember(project.id, member.userId), promoted)
      }))

    it.effect("removes a member", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project, owner } = yield* givenProject()
        const member = aMember(project.id, (yield* givenUser()).id)
        yield* projects.addMember(member)
        yield* projects.removeMember(project.id, member.userId)
        expectNone(yield* projects.findMember(project.id, member.userId))
        expect((yield* projects.listMembers(project.id)).map((m) => m.userId)).toStrictEqual([owner.id])
      }))

    it.effect("lists members in the order they were added, ties by user id", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project, owner } = yield* givenProject()
        const [u1, u2, u3, u4, u5] = [yield* givenUser(), yield* givenUser(), yield* givenUser(), yield* givenUser(), yield* givenUser()]
        // Inserted out of order: the list follows addedAt, not insertion.
        for (const [user, addedAt] of [[u3, 3], [u1, 1], [u5, 4], [u2, 2], [u4, 4]] as const) {
          yield* projects.addMember(aMember(project.id, user.id, { addedAt: at(addedAt) }))
        }
        const listed = (yield* projects.listMembers(project.id)).map((m) => m.userId)
        // The owner joined at at(0), before everyone else.
        expect(listed).toStrictEqual([owner.id, u1.id, u2.id, u3.id, u4.id, u5.id])
      }))

    it.effect("a member of an unknown user is a fault", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const member = aMember(project.id, aUser().id)
        expect(yield* failureTag(projects.addMember(member))).toBe("RepositoryError")
        expectNone(yield* projects.findMember(project.id, member.userId))
      }))
  })
