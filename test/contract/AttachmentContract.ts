import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { Attachment } from "../../src/domain/Attachment.js"
import { AttachmentId, newId, type TaskId, type UserId } from "../../src/domain/Ids.js"
import type { Task } from "../../src/domain/Model.js"
import { AttachmentRepository } from "../../src/repositories/AttachmentRepository.js"
import { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import { TaskRepository } from "../../src/repositories/TaskRepository.js"
import { allPages, expectNone, expectSome, failureTag, ids } from "./Assertions.js"
import { aTask, at, aUser, givenBoard, givenTask } from "./Fixtures.js"
import type { ContractIt } from "./RepositoryContract.js"

const anAttachment = (task: Pick<Task, "id" | "projectId">, uploadedBy: UserId, fields: Partial<Attachment> = {}): Attachment =>
  new Attachment({
    id: newId(AttachmentId),
    taskId: task.id as TaskId,
    projectId: task.projectId,
    filename: "Überblick – März.pdf",
    contentType: "application/pdf",
    size: 1234,
    sha256: "a".repeat(64),
    uploadedBy,
    createdAt: at(42),
    ...fields
  })

export const attachmentContract = (it: ContractIt) =>
  describe("AttachmentRepository", () => {
    it.effect("stores an attachment's metadata and finds it by id", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const board = yield* givenBoard()
        const task = yield* givenTask(board)
        const attachment = anAttachment(task, board.owner.id, { size: 2 ** 31 - 1 })
        yield* attachments.insert(attachment)
        expectSome(Attachment, yield* attachments.findById(attachment.id), attachment)
        expectNone(yield* attachments.findById(newId(AttachmentId)))
      }))

    it.effect("pages through a task's attachments in id order, each exactly once", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const board = yield* givenBoard()
        const [task, other] = [yield* givenTask(board), yield* givenTask(board)]
        const made = Array.from({ length: 5 }, () => anAttachment(task, board.owner.id))
        for (const attachment of [...made].reverse()) yield* attachments.insert(attachment)
        yield* attachments.insert(anAttachment(other, board.owner.id))
        const pages = yield* allPages((page) => attachments.listByTask(task.id, page), 2)
        expect(pages.map((page) => page.length)).toStrictEqual([2, 2, 1])
        expect(pages.flatMap(ids)).toStrictEqual(ids(made))
      }))

    it.effect("says whether a delete deleted", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const board = yield* givenBoard()
        const attachment = anAttachment(yield* givenTask(board), board.owner.id)
        yield* attachments.insert(attachment)
        expect(yield* attachments.delete(attachment.id)).toBe(true)
        expect(yield* attachments.delete(attachment.id)).toBe(false)
        expectNone(yield* attachments.findById(attachment.id))
      }))

    it.effect("adds up a project's bytes, and only its own", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const [board, other] = [yield* givenBoard(), yield* givenBoard()]
        expect(yield* attachments.usage(board.project.id)).toBe(0)
        const [a, b] = [yield* givenTask(board), yield* givenTask(board)]
        yield* attachments.insert(anAttachment(a, board.owner.id, { size: 2 ** 31 - 1 }))
        yield* attachments.insert(anAttachment(b, board.owner.id, { size: 2 ** 31 - 1 }))
        yield* attachments.insert(anAttachment(yield* givenTask(other), other.owner.id, { size: 7 }))
        expect(yield* attachments.usage(board.project.id)).toBe(2 * (2 ** 31 - 1))
      }))

    it.effect("deletes a task's attachments with the task, and a project's with the project", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const board = yield* givenBoard()
        const [doomed, kept] = [yield* givenTask(board), yield* givenTask(board)]
        const [gone, stays] = [anAttachment(doomed, board.owner.id), anAttachment(kept, board.owner.id)]
        yield* attachments.insert(gone)
        yield* attachments.insert(stays)
        yield* Effect.flatMap(TaskRepository, (tasks) => tasks.delete(doomed.id))
        expectNone(yield* attachments.findById(gone.id))
        expect(ids(yield* attachments.listByTask(kept.id, { limit: 10, after: null }))).toStrictEqual([stays.id])
        yield* Effect.flatMap(ProjectRepository, (projects) => projects.delete(board.project.id))
        expectNone(yield* attachments.findById(stays.id))
        expect(yield* attachments.usage(board.project.id)).toBe(0)
      }))

    it.effect("an attachment of an unknown task or uploader is a fault", () =>
      Effect.gen(function* () {
        const attachments = yield* AttachmentRepository
        const board = yield* givenBoard()
        const ghost = anAttachment(aTask(board), board.owner.id)
        expect(yield* failureTag(attachments.insert(ghost))).toBe("RepositoryError")
        const stranger = anAttachment(yield* givenTask(board), aUser().id)
        expect(yield* failureTag(attachments.insert(stranger))).toBe("RepositoryError")
        expectNone(yield* attachments.findById(ghost.id))
      }))
  })
