import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import type { OutboxEnvelope } from "../../../../src/domain/Events.js"
import { AttachmentId, ColumnId, newId, ProjectId, UserId } from "../../../../src/domain/Ids.js"
import { noNames, summarise } from "../../../../src/events/handlers/ActivitySummary.js"
import { anEnvelope } from "../../../contract/Fixtures.js"

const event = (type: OutboxEnvelope["type"], payload: OutboxEnvelope["payload"]) => anEnvelope({ type, payload })

// Payloads as the services record them (JSON), where the summary reads them.
const projectId = newId(ProjectId)
const userId = newId(UserId)
const column = { columnId: newId(ColumnId), wipLimit: null, isDone: false }
const task = (number: number, title: string) => ({ projectId, number, title, dueAt: "2026-01-01T00:00:00.000Z", assigneeId: null })

describe("ActivitySummary", () => {
  it("describes each kind of change in a short sentence, from the payload and the names looked up", () => {
    const names = { ...noNames, task: Option.some({ number: 7, title: "Fix the login" }) }
    expect([
      summarise(event("project.moved.v1", { from: "active", to: "on_hold", rank: "m" }), noNames),
      summarise(event("member.updated.v1", { userId, role: "viewer" }), { ...noNames, user: Option.some("Ann") }),
      summarise(event("column.deleted.v1", { ...column, name: "QA" }), noNames),
      summarise(event("task.updated.v1", { projectId, changed: ["title", "priority"] }), names),
      summarise(event("task.moved.v1", {}), { ...names, column: Option.some("Done") }),
      summarise(event("task.overdue.v1", task(3, "Ship it")), noNames),
      summarise(event("comment.deleted.v1", {}), names)
    ]).toStrictEqual([
      "moved the project to on hold",
      "made “Ann” viewer",
      "deleted the column “QA”",
      "updated task #7 “Fix the login” (title, priority)",
      "moved task #7 “Fix the login” to “Done”",
      "task #3 “Ship it” is overdue",
      "deleted a comment on task #7 “Fix the login”"
    ])
  })

  it("falls back to plain words when the things named are gone, and clips long names", () => {
    expect([
      summarise(event("task.deleted.v1", { projectId, number: 4 }), noNames),
      summarise(event("task.moved.v1", {}), noNames),
      summarise(event("member.removed.v1", {}), noNames),
      summarise(event("task.created.v1", { ...task(1, "x".repeat(200)), columnId: column.columnId }), noNames).length
    ]).toStrictEqual(["deleted task #4", "moved a task", "removed a user from the project", "created task #1 “".length + 80 + 1])
  })

  it("names an attachment by its file name, clipped, and falls back when the payload does not decode", () => {
    const names = { ...noNames, task: Option.some({ number: 2, title: "Spec" }) }
    const attachment = { projectId, attachmentId: newId(AttachmentId), filename: "spec.pdf", contentType: "application/pdf", size: 10 }
    expect([
      summarise(event("attachment.added.v1", attachment), names),
      summarise(event("attachment.deleted.v1", attachment), names),
      summarise(event("attachment.added.v1", { ...attachment, filename: "y".repeat(300) }), names).length,
      summarise(event("attachment.deleted.v1", { filename: "spec.pdf" }), noNames)
    ]).toStrictEqual([
      "attached “spec.pdf” to task #2 “Spec”",
      "removed the attachment “spec.pdf” from task #2 “Spec”",
      "attached “".length + 80 + " to task #2 “Spec”".length + 1,
      "removed an attachment from a task"
    ])
  })

  it("reads nothing from a payload that does not decode against its type's class", () => {
    expect([
      summarise(event("member.updated.v1", { userId, role: "boss" }), { ...noNames, user: Option.some("Ann") }),
      summarise(event("task.deleted.v1", { number: 4 }), noNames),
      summarise(event("project.created.v1", { key: "P1" }), noNames)
    ]).toStrictEqual(["made “Ann” member", "deleted a task", "created the project"])
  })
})
