import { describe, expect } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { Comment, Member, Project, Task } from "../../src/domain/Model.js"
import { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import { CommentRepository } from "../../src/repositories/CommentRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { expectNone, expectSome, failureTag, ids } from "./Assertions.js"
import { aColumn, aComment, aMember, aTask, at, givenBoard, givenTask, givenUser } from "./Fixtures.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import type { ContractIt } from "./RepositoryContract.js"

export const taskContract = (it: ContractIt) =>
  describe("TaskRepository", () => {
    it.effect("stores a task with every optional field set, to the millisecond", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const task = aTask(board, {
          description: "Details", priority: "urgent", assigneeId: (yield* givenUser()).id, labels: ["ui", "bug"],
          dueAt: at(86_400_999), estimate: 2.5, completedAt: at(3_600_001), createdAt: at(1), updatedAt: at(2)
        })
        yield* tasks.insert(task)
        expectSome(Task, yield* tasks.findById(task.id), task)
      }))

    it.effect("finds a task with its project and one user's membership in one read; nothing for a non-member", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board, { labels: ["a", "b"], dueAt: at(5), estimate: 2.5 })
        const viewer = aMember(board.project.id, (yield* givenUser()).id, { role: "viewer", addedAt: at(9) })
        yield* (yield* ProjectRepository).addMember(viewer)
        const found = yield* tasks.findAccess(task.id, viewer.userId)
        expectSome(Task, Option.map(found, (a) => a.task), task)
        expectSome(Project, Option.map(found, (a) => a.project), board.project)
        expectSome(Member, Option.map(found, (a) => a.member), viewer)
        expectNone(yield* tasks.findAccess(task.id, (yield* givenUser()).id))
        expectNone(yield* tasks.findAccess(aTask(board).id, viewer.userId))
      }))

    it.effect("keeps empty labels as an empty array and nulls as nulls", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const task = yield* givenTask(yield* givenBoard(), { labels: [] })
        expectSome(Task, yield* tasks.findById(task.id), task)
        expectNone(yield* tasks.findById(aTask(yield* givenBoard()).id))
      }))

    it.effect("update writes every field when the version matches", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board, { labels: ["a"] })
        const done = aColumn(board.project.id, { isDone: true })
        yield* (yield* ColumnRepository).insert(done)
        const changed = new Task({
          ...task, title: "New", description: "More", columnId: done.id, rank: "x", priority: "low",
          assigneeId: board.owner.id, labels: [], dueAt: at(7), estimate: 8, completedAt: at(9), version: 2, updatedAt: at(10)
        })
        expect(yield* tasks.update(changed, 1)).toBe(true)
        expectSome(Task, yield* tasks.findById(task.id), changed)
      }))

    it.effect("update answers false on a stale version and leaves the row unchanged", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const first = new Task({ ...task, title: "First", version: 2 })
        expect(yield* tasks.update(first, 1)).toBe(true)
        expect(yield* tasks.update(new Task({ ...task, title: "Stale", version: 2 }), 1)).toBe(false)
        expectSome(Task, yield* tasks.findById(task.id), first)
        expect(yield* tasks.update(new Task({ ...aTask(board), version: 2 }), 1)).toBe(false)
      }))

    it.effect("delete removes the task and its comments only", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const comments = yield* CommentRepository
        const board = yield* givenBoard()
        const [task, kept] = [yield* givenTask(board), yield* givenTask(board)]
        const [gone, stays] = [aComment(task.id, board.owner.id), aComment(kept.id, board.owner.id)]
        yield* comments.insert(gone)
        yield* comments.insert(stays)
        yield* tasks.delete(task.id)
        expectNone(yield* tasks.findById(task.id))
        expectNone(yield* comments.findById(gone.id))
        expectSome(Comment, yield* comments.findById(stays.id), stays)
        expectSome(Task, yield* tasks.findById(kept.id), kept)
      }))

    it.effect("lists a project's tasks across columns in (rank, id) order", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const second = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(second)
        const [tieLow, tieHigh, first, last] = [
          aTask(board, { rank: "m" }), aTask({ ...board, column: second }, { rank: "m" }),
          aTask({ ...board, column: second }, { rank: "B" }), aTask(board, { rank: "z" })
        ]
        for (const task of [last, tieHigh, first, tieLow]) yield* tasks.insert(task)
        yield* givenTask(yield* givenBoard(), { rank: "A" })
        expect(ids(yield* tasks.listByProject(board.project.id))).toStrictEqual([first.id, tieLow.id, tieHigh.id, last.id])
      }))

    it.effect("counts the tasks in a column", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const empty = aColumn(board.project.id)
        yield* (yield* ColumnRepository).insert(empty)
        yield* givenTask(board)
        yield* givenTask(board)
        expect(yield* tasks.countInColumn(board.column.id)).toBe(2)
        expect(yield* tasks.countInColumn(empty.id)).toBe(0)
      }))

    it.effect("unassignAll clears one user's assignments in one project only", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const [leaver, stayer] = [yield* givenUser(), yield* givenUser()]
        const [mine, theirs] = [yield* givenTask(board, { assigneeId: leaver.id }), yield* givenTask(board, { assigneeId: stayer.id })]
        const elsewhere = yield* givenTask(yield* givenBoard(), { assigneeId: leaver.id })
        const at = DateTime.unsafeMake(1_700_000_000_000)
        const changed = yield* tasks.unassignAll(board.project.id, leaver.id, at)
        expect(changed.map((t) => [t.id, t.assigneeId, t.version, DateTime.toEpochMillis(t.updatedAt)])).toEqual([[mine.id, null, mine.version + 1, 1_700_000_000_000]])
        const assignee = (id: Task["id"]) => Effect.map(tasks.findById(id), (t) => Option.getOrThrow(t).assigneeId)
        expect(yield* assignee(mine.id)).toBeNull()
        expect(Option.getOrThrow(yield* tasks.findById(mine.id)).version).toBe(mine.version + 1)
        expect(yield* assignee(theirs.id)).toBe(stayer.id)
        expect(yield* assignee(elsewhere.id)).toBe(leaver.id)
      }))

    it.effect("a duplicate task number in a project, or an unknown column, is a fault", () =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const clash = aTask(board, { number: task.number })
        expect(yield* failureTag(tasks.insert(clash))).toBe("RepositoryError")
        const lost = aTask({ ...board, column: aColumn(board.project.id) })
        expect(yield* failureTag(tasks.insert(lost))).toBe("RepositoryError")
        expectNone(yield* tasks.findById(clash.id))
        expectNone(yield* tasks.findById(lost.id))
      }))
  })
