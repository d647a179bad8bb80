import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Column, Member, Project, Task } from "../../src/domain/Model.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { CommentRepository } from "../../src/repositories/CommentRepository.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { expectNone, expectSome, failureTag } from "./Assertions.js"
import { aComment, aMember, aProject, aUser, at, givenBoard, givenProject, givenTask, givenUser } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const projectContract = (it: ContractIt) =>
  describe("ProjectRepository", () => {
    it.effect("stores a project and finds it by id", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const owner = yield* givenUser()
        const project = aProject(owner.id, { description: "Roadmap", status: "planning", rank: "a0", createdAt: at(11) })
        expect(yield* projects.insert(project)).toBe(true)
        expectSome(Project, yield* projects.findById(project.id), project)
        expectNone(yield* projects.findById(aProject(owner.id).id))
      }))

    it.effect("answers false for a taken key and keeps the first project", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project, owner } = yield* givenProject()
        const clash = aProject(owner.id, { key: project.key })
        expect(yield* projects.insert(clash)).toBe(false)
        expectNone(yield* projects.findById(clash.id))
        expectSome(Project, yield* projects.findById(project.id), project)
      }))

    it.effect("a project of an unknown owner is a fault", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const project = aProject(aUser().id)
        expect(yield* failureTag(projects.insert(project))).toBe("RepositoryError")
        expectNone(yield* projects.findById(project.id))
      }))

    it.effect("update writes every field when the version matches", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const newOwner = yield* givenUser()
        const changed = new Project({
          ...project, name: "Renamed", description: "New text", status: "on_hold", rank: "b", ownerId: newOwner.id,
          version: 2, updatedAt: at(60_000)
        })
        expect(yield* projects.update(changed, 1)).toBe(true)
        expectSome(Project, yield* projects.findById(project.id), changed)
      }))

    it.effect("update answers false on a stale version and leaves the row unchanged", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const first = new Project({ ...project, name: "First", version: 2 })
        expect(yield* projects.update(first, 1)).toBe(true)
        expect(yield* projects.update(new Project({ ...project, name: "Stale", version: 2 }), 1)).toBe(false)
        expectSome(Project, yield* projects.findById(project.id), first)
        expect(yield* projects.update(new Project({ ...aProject(project.ownerId), version: 2 }), 1)).toBe(false)
      }))

    it.effect("concurrent compare-and-set updates never lose a write", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { transaction } = yield* Transactor
        const { project } = yield* givenProject()
        const attempt = (n: number) =>
          transaction(Effect.gen(function* () {
            const current = Option.getOrThrow(yield* projects.findById(project.id))
            const next = new Project({ ...current, name: `Attempt ${n}`, version: current.version + 1 })
            return yield* projects.update(next, current.version)
          }))
        const results = yield* Effect.all([1, 2, 3, 4, 5].map(attempt), { concurrency: "unbounded" })
        const won = results.filter(Boolean).length
        expect(won).toBeGreaterThanOrEqual(1)
        expect(Option.getOrThrow(yield* projects.findById(project.id)).version).toBe(1 + won)
      }))

    it.effect("numbers tasks 1, 2, 3 per project, unaffected by updates", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const other = (yield* givenProject()).project
        expect(yield* projects.nextTaskNumber(project.id)).toBe(1)
        expect(yield* projects.nextTaskNumber(project.id)).toBe(2)
        expect(yield* projects.nextTaskNumber(other.id)).toBe(1)
        yield* projects.update(new Project({ ...project, name: "Renamed", version: 2 }), 1)
        expect(yield* projects.nextTaskNumber(project.id)).toBe(3)
      }))

    it.effect("hands out each task number once under concurrency", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const { project } = yield* givenProject()
        const numbers = yield* Effect.all(
          Array.from({ length: 10 }, () => projects.nextTaskNumber(project.id)),
          { concurrency: "unbounded" }
        )
        expect([...numbers].sort((a, b) => a - b)).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      }))

    it.effect("delete removes the project with its members, columns, tasks and comments", () =>
      Effect.gen(function* () {
        const projects = yield* ProjectRepository
        const columns = yield* ColumnRepository
        const tasks = yield* TaskRepository
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const comment = aComment(task.id, board.owner.id)
        yield* comments.insert(comment)
        const survivor = yield* givenBoard()
        const survivorTask = yield* givenTask(survivor)

        yield* projects.delete(board.project.id)

        expectNone(yield* projects.findById(board.project.id))
        expectNone(yield* projects.findMember(board.project.id, board.owner.id))
        expect(yield* projects.listMembers(board.project.id)).toStrictEqual([])
        expectNone(yield* columns.findById(board.column.id))
        expectNone(yield* tasks.findById(task.id))
        expectNone(yield* comments.findById(comment.id))
        expectSome(Project, yield* projects.findById(survivor.project.id), survivor.project)
        const survivorOwner = aMember(survivor.project.id, survivor.owner.id, { role: "owner" })
        expectSome(Member, yield* projects.findMember(survivor.project.id, survivor.owner.id), survivorOwner)
        expectSome(Column, yield* columns.findById(survivor.column.id), survivor.column)
        expectSome(Task, yield* tasks.findById(survivorTask.id), survivorTask)
      }))
  })
