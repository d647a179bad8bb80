import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { Comment } from "../../src/domain/Model.js"
import { CommentRepository } from "../../src/repositories/CommentRepository.js"
import { allPages, expectNone, expectSome, failureTag, ids } from "./Assertions.js"
import { aComment, aTask, aUser, at, givenBoard, givenTask } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

export const commentContract = (it: ContractIt) =>
  describe("CommentRepository", () => {
    it.effect("stores a comment and finds it by id", () =>
      Effect.gen(function* () {
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const comment = aComment(task.id, board.owner.id, { body: "Ship it\nwith ünïcödé", createdAt: at(77), updatedAt: at(78) })
        yield* comments.insert(comment)
        expectSome(Comment, yield* comments.findById(comment.id), comment)
        expectNone(yield* comments.findById(aComment(task.id, board.owner.id).id))
      }))

    it.effect("deletes a comment", () =>
      Effect.gen(function* () {
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const comment = aComment((yield* givenTask(board)).id, board.owner.id)
        yield* comments.insert(comment)
        yield* comments.delete(comment.id)
        expectNone(yield* comments.findById(comment.id))
      }))

    it.effect("pages through a task's comments in id order, each exactly once", () =>
      Effect.gen(function* () {
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const [task, other] = [yield* givenTask(board), yield* givenTask(board)]
        const created = Array.from({ length: 5 }, () => aComment(task.id, board.owner.id))
        for (const comment of [...created].reverse()) yield* comments.insert(comment)
        yield* comments.insert(aComment(other.id, board.owner.id))
        const pages = yield* allPages((page) => comments.listByTask(task.id, page), 2)
        expect(pages.map((page) => page.length)).toStrictEqual([2, 2, 1])
        expect(pages.flatMap(ids)).toStrictEqual(ids(created))
        expect(yield* comments.listByTask(task.id, { limit: 5, after: null })).toHaveLength(5)
      }))

    it.effect("a comment on an unknown task is a fault", () =>
      Effect.gen(function* () {
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const comment = aComment(aTask(board).id, aUser().id)
        expect(yield* failureTag(comments.insert(comment))).toBe("RepositoryError")
        expectNone(yield* comments.findById(comment.id))
      }))
  })
