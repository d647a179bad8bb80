import { describe, expect } from "@effect/vitest"
import { Data, Deferred, Effect, Fiber, Option } from "effect"
import { Project } from "../../src/domain/Model.js"
import { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { CommentRepository } from "../../src/repositories/CommentRepository.js"
import { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { Transactor } from "../../src/repositories/Transactor.js"
import { UserRepository } from "../../src/repositories/UserRepository.js"
import { expectNone, expectSome, ids } from "./Assertions.js"
import {
  aColumn, aComment, aMember, anApiKey, anEnvelope, aProject, aTask, aUser, at, givenBoard, givenTask, givenUser
} from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

class Boom extends Data.TaggedError("Boom") {}

export const transactorContract = (it: ContractIt) =>
  describe("Transactor", () => {
    it.effect("commits every write of a unit that succeeds", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const projects = yield* ProjectRepository
        const user = aUser()
        const project = aProject(user.id)
        yield* transaction(Effect.zipRight(users.insert(user), projects.insert(project)))
        expectSome(Project, yield* projects.findById(project.id), project)
        expect(Option.isSome(yield* users.findById(user.id))).toBe(true)
      }))

    it.effect("rolls back a user and project inserted by a unit that then fails", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const projects = yield* ProjectRepository
        const user = aUser()
        const project = aProject(user.id)
        const error = yield* Effect.flip(
          transaction(Effect.gen(function* () {
            yield* users.insert(user)
            yield* projects.insert(project)
            return yield* new Boom()
          }))
        )
        expect(error._tag).toBe("Boom")
        expectNone(yield* users.findById(user.id))
        expectNone(yield* projects.findById(project.id))
      }))

    it.effect("rolls back inserts, updates, deletes and counters in every table", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const [users, keys, projects, columns, tasks, comments, outbox] = [
          yield* UserRepository, yield* ApiKeyRepository, yield* ProjectRepository, yield* ColumnRepository,
          yield* TaskRepository, yield* CommentRepository, yield* OutboxRepository
        ]
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const comment = aComment(task.id, board.owner.id)
        yield* comments.insert(comment)
        const newcomer = aUser()
        const key = anApiKey(newcomer.id)
        const column = aColumn(board.project.id)
        const newTask = aTask(board)
        const event = anEnvelope()
        yield* Effect.exit(transaction(Effect.gen(function* () {
          yield* users.insert(newcomer)
          yield* keys.insert(key)
          yield* projects.update(new Project({ ...board.project, name: "Renamed", version: 2 }), 1)
          yield* projects.addMember(aMember(board.project.id, newcomer.id))
          yield* projects.nextTaskNumber(board.project.id)
          yield* columns.insert(column)
          yield* tasks.insert(newTask)
          yield* comments.delete(comment.id)
          yield* outbox.append([event])
          return yield* new Boom()
        })))
        expectNone(yield* users.findById(newcomer.id))
        expectNone(yield* keys.findByPrefix(key.key.prefix))
        expectSome(Project, yield* projects.findById(board.project.id), board.project)
        expectNone(yield* projects.findMember(board.project.id, newcomer.id))
        expect(yield* projects.nextTaskNumber(board.project.id)).toBe(1)
        expectNone(yield* columns.findById(column.id))
        expectNone(yield* tasks.findById(newTask.id))
        expect(Option.isSome(yield* comments.findById(comment.id))).toBe(true)
        expect(ids(yield* outbox.listAll)).not.toContain(event.id)
      }))

    it.effect("rolls back a unit that dies", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const user = aUser()
        yield* Effect.exit(transaction(Effect.zipRight(users.insert(user), Effect.dieMessage("bug"))))
        expectNone(yield* users.findById(user.id))
      }))

    it.effect("rolls back a unit that is interrupted", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const user = aUser()
        const inserted = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          transaction(Effect.gen(function* () {
            yield* users.insert(user)
            yield* Deferred.succeed(inserted, undefined)
            return yield* Effect.never
          }))
        )
        yield* Deferred.await(inserted)
        yield* Fiber.interrupt(fiber)
        expectNone(yield* users.findById(user.id))
      }))

    it.effect("nested units join the outer one, so the outer failure undoes the inner writes", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const outer = aUser()
        const inner = aUser()
        yield* Effect.exit(transaction(Effect.gen(function* () {
          yield* users.insert(outer)
          yield* transaction(users.insert(inner))
          return yield* new Boom()
        })))
        expectNone(yield* users.findById(outer.id))
        expectNone(yield* users.findById(inner.id))
      }))

    it.effect("a failed nested unit undoes only its own writes when the outer one recovers", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const [before, inner, after] = [aUser(), aUser(), aUser()]
        yield* transaction(Effect.gen(function* () {
          yield* users.insert(before)
          yield* Effect.ignore(transaction(Effect.zipRight(users.insert(inner), new Boom())))
          yield* users.insert(after)
        }))
        expect(Option.isSome(yield* users.findById(before.id))).toBe(true)
        expectNone(yield* users.findById(inner.id))
        expect(Option.isSome(yield* users.findById(after.id))).toBe(true)
      }))

    it.effect("reads inside a unit see the unit's own writes", () =>
      Effect.gen(function* () {
        const { transaction } = yield* Transactor
        const users = yield* UserRepository
        const found = yield* transaction(Effect.gen(function* () {
          const user = yield* givenUser({ createdAt: at(5) })
          return yield* users.findByEmail(user.email)
        }))
        expect(Option.isSome(found)).toBe(true)
      }))
  })
