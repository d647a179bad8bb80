import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import type { OutboxEnvelope } from "../../../../src/domain/Events.js"
import { noNames, summarise } from "../../../../src/events/handlers/ActivitySummary.js"
import { anEnvelope } from "../../../contract/Fixtures.js"

const event = (type: OutboxEnvelope["type"], payload: OutboxEnvelope["payload"]) => anEnvelope({ type, payload })

describe("ActivitySummary", () => {
  it("describes each kind of change in a short sentence, from the payload and the names looked up", () => {
    const task = { ...noNames, task: Option.some({ number: 7, title: "Fix the login" }) }
    expect([
      summarise(event("project.moved.v1", { to: "on_hold" }), noNames),
      summarise(event("member.updated.v1", { role: "viewer" }), { ...noNames, user: Option.some("Ann") }),
      summarise(event("column.deleted.v1", { name: "QA" }), noNames),
      summarise(event("task.updated.v1", { changed: ["title", "priority"] }), task),
      summarise(event("task.moved.v1", {}), { ...task, column: Option.some("Done") }),
      summarise(event("task.overdue.v1", { number: 3, title: "Ship it" }), noNames),
      summarise(event("comment.deleted.v1", {}), task)
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
      summarise(event("task.deleted.v1", { number: 4 }), noNames),
      summarise(event("task.moved.v1", {}), noNames),
      summarise(event("member.removed.v1", {}), noNames),
      summarise(event("task.created.v1", { number: 1, title: "x".repeat(200) }), noNames).length
    ]).toStrictEqual(["deleted task #4", "moved a task", "removed a user from the project", "created task #1 “".length + 80 + 1])
  })
})
