import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Layer, Option, ParseResult, Schema, Stream, TestClock } from "effect"
import { TestLive } from "../../../layers/Test.js"
import { projectIdOf } from "../../../src/domain/Activity.js"
import {
  aggregateOfEvent,
  decodePayload,
  encodePayload,
  makeEvent,
  PayloadClasses,
  type PayloadJsonOf,
  ProjectDeletedV1,
  TaskMovedV1,
  TypedPayload
} from "../../../src/domain/DomainEvents.js"
import { EventType } from "../../../src/domain/Events.js"
import { AttachmentId, ColumnId, CommentId, newId, ProjectId, UserId } from "../../../src/domain/Ids.js"
import {
  AddMember,
  CreateColumn,
  CreateComment,
  CreateKey,
  MoveProject,
  MoveTask,
  ReorderColumns,
  UpdateColumn,
  UpdateMember,
  UpdateProject,
  UpdateTask
} from "../../../src/domain/Requests.js"
import { jobRunner } from "../../../src/jobs/JobRunner.js"
import { jobScheduler } from "../../../src/jobs/JobScheduler.js"
import { BoardService } from "../../../src/services/BoardService.js"
import { AttachmentService } from "../../../src/services/AttachmentService.js"
import { CommentService } from "../../../src/services/CommentService.js"
import { ProjectService } from "../../../src/services/ProjectService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { UserService } from "../../../src/services/UserService.js"
import { PDF } from "../../support/Files.js"
import { options } from "../jobs/Support.js"
import { aProject, allEvents, aTask, columnsByName, signUp } from "../services/Fixtures.js"

const projectId = newId(ProjectId)
const userId = newId(UserId)
const columnId = newId(ColumnId)
const otherColumnId = newId(ColumnId)
const comment = { projectId, commentId: newId(CommentId), authorId: userId }
const column = { columnId, name: "QA", wipLimit: 3, isDone: false }
const attachment = { projectId, attachmentId: newId(AttachmentId), filename: "spec.pdf", contentType: "application/pdf", size: 1234 }

/** One payload of every type, as JSON: what the outbox stores. Total, so a new type needs one here. */
const samples: { readonly [T in EventType]: PayloadJsonOf<T> } = {
  "project.created.v1": { key: "APOLLO", name: "Apollo", status: "planning", columns: [{ id: columnId, name: "Done", isDone: true }] },
  "project.updated.v1": { name: "Apollo 2", description: "" },
  "project.moved.v1": { from: "planning", to: "on_hold", rank: "m" },
  "project.deleted.v1": { key: "APOLLO" },
  "member.added.v1": { userId, role: "editor" },
  "member.updated.v1": { userId, role: "viewer" },
  "member.removed.v1": { userId },
  "column.created.v1": column,
  "column.updated.v1": { ...column, wipLimit: null },
  "column.deleted.v1": { ...column, isDone: true },
  "columns.reordered.v1": { columnIds: [otherColumnId, columnId] },
  "column.rebalanced.v1": { columnId, tasks: 3 },
  "task.created.v1": { projectId, number: 1, title: "Write the spec", columnId, assigneeId: null },
  "task.updated.v1": { projectId, changed: ["title", "assigneeId"] },
  "task.moved.v1": { projectId, fromColumnId: columnId, toColumnId: otherColumnId, rank: "n", completed: true },
  "task.deleted.v1": { projectId, number: 1 },
  "task.overdue.v1": { projectId, number: 2, title: "Ship it", dueAt: "2026-03-01T09:30:00.000Z", assigneeId: userId },
  "comment.added.v1": comment,
  "comment.deleted.v1": comment,
  "attachment.added.v1": attachment,
  "attachment.deleted.v1": attachment,
  "user.created.v1": { email: "ada@example.test", role: "member" },
  "apikey.created.v1": { userId, prefix: "0123456789ab", scopes: ["read", "write"] },
  "apikey.revoked.v1": {}
}

/** The paths a failed decode names, as `a.b.0.c`, each once (a literal union names its path per member). */
const failedPaths = (result: Either.Either<unknown, ParseResult.ParseError>): ReadonlyArray<string> =>
  Either.match(result, {
    onRight: () => [],
    onLeft: (error) => [...new Set(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".")))]
  })

describe("DomainEvents", () => {
  it("has exactly one payload class per event type, filed under that type", () => {
    const keyed = TypedPayload.members.map((member) => ({ type: member.fields.type.literals[0], Payload: member.fields.payload }))
    for (const type of EventType.literals) {
      const members = keyed.filter((member) => member.type === type)
      expect(members.map((member) => member.Payload.type), type).toStrictEqual([type])
      expect(PayloadClasses[type], type).toBe(members[0]!.Payload)
    }
    expect(keyed.length).toBe(EventType.literals.length)
    expect(new Set(keyed.map((member) => member.Payload)).size).toBe(EventType.literals.length)
  })

  it("decodes every type's JSON to its class and encodes it back to the same JSON", () => {
    for (const type of EventType.literals) {
      const json: unknown = JSON.parse(JSON.stringify(samples[type]))
      const decoded = Either.getOrThrow(decodePayload(type, json))
      expect(decoded.type, type).toBe(type)
      expect(encodePayload(type, decoded), type).toStrictEqual(json)
      // The union keyed by type picks the same class, even where two payloads share a shape.
      const typed = Schema.decodeUnknownSync(TypedPayload)({ type, payload: json })
      expect([typed.type, typed.payload.type], type).toStrictEqual([type, type])
      // As JSON: the union hands a class without fields back as its (field-less) instance.
      expect(JSON.parse(JSON.stringify(Schema.encodeSync(TypedPayload)(typed))), type).toStrictEqual({ type, payload: json })
    }
  })

  it("keeps timestamps as ISO text in the JSON and as DateTime in the class", () => {
    const overdue = Either.getOrThrow(decodePayload("task.overdue.v1", samples["task.overdue.v1"]))
    expect(DateTime.formatIso(overdue.dueAt)).toBe("2026-03-01T09:30:00.000Z")
  })

  it("refuses a payload with a field missing or of the wrong kind, and names the field", () => {
    const { toColumnId: _dropped, ...withoutTarget } = samples["task.moved.v1"]
    expect(failedPaths(decodePayload("task.moved.v1", withoutTarget))).toStrictEqual(["toColumnId"])
    expect(failedPaths(decodePayload("task.created.v1", { ...samples["task.created.v1"], number: "1" }))).toStrictEqual(["number"])
    expect(failedPaths(decodePayload("member.added.v1", { ...samples["member.added.v1"], role: "boss" }))).toStrictEqual(["role"])
    expect(failedPaths(decodePayload("column.created.v1", { ...column, columnId: "not-a-uuid" }))).toStrictEqual(["columnId"])
    const created = samples["project.created.v1"]
    expect(failedPaths(decodePayload("project.created.v1", { ...created, columns: [{ id: columnId, name: "Done" }] }))).toStrictEqual(["columns.0.isDone"])
    expect(Either.isLeft(decodePayload("task.moved.v1", null))).toBe(true)
  })

  it("files an event only under the aggregate its type belongs to (checked by the compiler)", () => {
    const now = DateTime.unsafeMake(0)
    const event = makeEvent({ type: "project", id: "p", version: 3 }, now, new ProjectDeletedV1({ key: "FLOW" }))
    expect({ type: event.type, aggregateType: event.aggregateType }).toStrictEqual({ type: "project.deleted.v1", aggregateType: "project" })
    // @ts-expect-error a project's event filed under a task
    makeEvent({ type: "task", id: "t", version: 1 }, now, new ProjectDeletedV1({ key: "FLOW" }))
  })

  it("names the project of every project and task event, and of no user or key event", () => {
    const projectOf = (type: EventType, payload: object) =>
      projectIdOf({ type, aggregateType: aggregateOfEvent[type], aggregateId: aggregateOfEvent[type] === "project" ? projectId : newId(UserId), payload: { ...payload } })
    const found = EventType.literals.map((type) => [type, Option.getOrNull(projectOf(type, samples[type]))] as const)
    expect(found).toStrictEqual(EventType.literals.map((type) => [type, type.startsWith("user.") || type.startsWith("apikey.") ? null : projectId] as const))
    // Read through the payload's class: a task event whose payload does not decode belongs nowhere.
    expect(projectOf("task.moved.v1", { ...samples["task.moved.v1"], projectId: "not-an-id" })).toStrictEqual(Option.none())
  })

  it("refuses, at construction, a payload its class does not allow", () => {
    const { toColumnId: _dropped, ...fields } = Either.getOrThrow(decodePayload("task.moved.v1", samples["task.moved.v1"]))
    expect(() => new TaskMovedV1({ ...fields, toColumnId: otherColumnId, rank: "n", completed: true })).not.toThrow()
    expect(() => new TaskMovedV1({ ...fields, toColumnId: "nope" as ColumnId })).toThrow(/toColumnId/)
  })

  // Every service and the overdue job, driven through one life of a project: each event they
  // record must decode against its class, and together they must cover every type.
  const Scheduled = jobScheduler({
    reminderInterval: "1 minute",
    retentionInterval: "1 hour",
    outboxRetentionDays: 7,
    deadLetterRetentionDays: 30,
    jobRetentionDays: 30,
    auditRetentionDays: 365
  }).pipe(Layer.merge(jobRunner(options("w1", { pollInterval: "1 hour" }))), Layer.provideMerge(TestLive))

  it.scoped("the events the services record decode against their classes, for every type", () =>
    Effect.gen(function* () {
      const users = yield* UserService
      const projects = yield* ProjectService
      const board = yield* BoardService
      const tasks = yield* TaskService
      const comments = yield* CommentService

      const owner = yield* signUp()
      const actor = owner.actor
      const key = yield* users.createKey(actor, owner.user.id, new CreateKey({ name: "ci", scopes: ["read"], expiresAt: null }))
      yield* users.revokeKey(actor, key.key.id)

      const project = yield* aProject(actor, { status: "active" })
      const updated = yield* projects.update(actor, project.id, new UpdateProject({ version: project.version, name: "Apollo 2" }))
      yield* projects.move(actor, project.id, new MoveProject({ version: updated.version, status: "on_hold" }))

      const mate = yield* signUp()
      yield* projects.addMember(actor, project.id, new AddMember({ userId: mate.user.id, role: "viewer" }))
      yield* projects.updateMember(actor, project.id, mate.user.id, new UpdateMember({ role: "editor" }))

      const qa = yield* board.createColumn(actor, project.id, new CreateColumn({ name: "QA" }))
      yield* board.updateColumn(actor, project.id, qa.id, new UpdateColumn({ wipLimit: 2 }))
      const all = yield* board.listColumns(actor, project.id)
      yield* board.reorderColumns(actor, project.id, new ReorderColumns({ columnIds: [...all].reverse().map((c) => c.id) }))
      yield* board.deleteColumn(actor, project.id, qa.id)

      const column = yield* columnsByName(actor, project.id)
      const task = yield* aTask(actor, project.id, { assigneeId: mate.user.id, dueAt: DateTime.unsafeMake(Duration.toMillis(Duration.minutes(5))) })
      const edited = yield* tasks.update(actor, task.id, new UpdateTask({ version: task.version, title: "Write the spec, again" }))
      yield* tasks.move(actor, task.id, new MoveTask({ version: edited.version, columnId: column("In progress") }))
      // Two tasks moved in turn into one gap until its keys are rebalanced (column.rebalanced.v1).
      const [x, y, z] = yield* Effect.forEach(["X", "Y", "Z"], (title) => aTask(actor, project.id, { title, columnId: column("Review") }))
      for (let i = 0; i < 400; i++) {
        const mover = yield* tasks.get(actor, (i % 2 === 0 ? z! : y!).id)
        yield* tasks.move(actor, mover.id, new MoveTask({ version: mover.version, columnId: column("Review"), afterId: x!.id }))
      }
      const said = yield* comments.add(actor, task.id, new CreateComment({ body: "on it" }))
      yield* comments.delete(actor, task.id, said.id)
      const attachments = yield* AttachmentService
      const file = yield* attachments.upload(actor, task.id, Stream.make({ _tag: "File" as const, key: "file", name: "spec.pdf", content: Stream.make(PDF) }))
      yield* attachments.delete(actor, task.id, file.id)

      // The overdue job runs on the scheduler's clock.
      for (let i = 0; i < 10; i++) {
        yield* TestClock.adjust(Duration.minutes(1))
        yield* Effect.repeatN(Effect.yieldNow(), 20)
      }

      // Removing the assignee unassigns the task (a task.updated.v1 from ProjectService).
      yield* projects.removeMember(actor, project.id, mate.user.id)
      const doomed = yield* aTask(actor, project.id)
      yield* tasks.delete(actor, doomed.id)
      yield* projects.delete(actor, project.id)

      const events = yield* allEvents
      const undecodable = events.flatMap((event) =>
        Either.match(decodePayload(event.type, event.payload), {
          onRight: (payload) => (payload.type === event.type ? [] : [`${event.type} decoded as ${payload.type}`]),
          onLeft: (error) => [`${event.type}: ${error.message}`]
        })
      )
      expect(undecodable).toStrictEqual([])
      expect([...new Set(events.map((event) => event.type))].sort()).toStrictEqual([...EventType.literals].sort())
      // And each under the aggregate its type belongs to.
      const misfiled = events.filter((event) => event.aggregateType !== aggregateOfEvent[event.type])
      expect(misfiled.map((event) => `${event.type} under ${event.aggregateType}`)).toStrictEqual([])
    }).pipe(Effect.provide(Scheduled))
  )
})
