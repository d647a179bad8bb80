import { Match, Option } from "effect"
import type { OutboxEnvelope } from "../../domain/Events.js"

/**
 * What the activity handler looked up to describe an event: names the payload does not carry.
 * Each is `None` when the thing is gone by the time the event is handled.
 */
export interface Names {
  readonly task: Option.Option<{ readonly number: number; readonly title: string }>
  readonly column: Option.Option<string>
  readonly user: Option.Option<string>
}

export const noNames: Names = { task: Option.none(), column: Option.none(), user: Option.none() }

const MAX_NAME = 80
const clip = (text: string): string => (text.length <= MAX_NAME ? text : `${text.slice(0, MAX_NAME - 1)}…`)

const text = (payload: OutboxEnvelope["payload"], key: string): Option.Option<string> => {
  const value = payload[key]
  return typeof value === "string" ? Option.some(value) : Option.none()
}
const int = (payload: OutboxEnvelope["payload"], key: string): Option.Option<number> => {
  const value = payload[key]
  return typeof value === "number" && Number.isInteger(value) ? Option.some(value) : Option.none()
}
const strings = (payload: OutboxEnvelope["payload"], key: string): ReadonlyArray<string> => {
  const value = payload[key]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []
}

const quoted = (name: string) => `“${clip(name)}”`

/** `task #12 “Title”`, from the payload where it says, else from the lookup, else `a task`. */
const taskLabel = (event: OutboxEnvelope, names: Names): string => {
  const number = Option.orElse(int(event.payload, "number"), () => Option.map(names.task, (task) => task.number))
  const title = Option.orElse(text(event.payload, "title"), () => Option.map(names.task, (task) => task.title))
  return Option.match(number, {
    onNone: () => "a task",
    onSome: (n) => Option.match(title, { onNone: () => `task #${n}`, onSome: (t) => `task #${n} ${quoted(t)}` })
  })
}

const userLabel = (names: Names) => Option.match(names.user, { onNone: () => "a user", onSome: quoted })
const columnLabel = (event: OutboxEnvelope) => Option.match(text(event.payload, "name"), { onNone: () => "a column", onSome: quoted })
const role = (event: OutboxEnvelope) => Option.getOrElse(text(event.payload, "role"), () => "member")

/** A short, human sentence for the feed, without the actor (the client shows who). */
export const summarise = (event: OutboxEnvelope, names: Names): string => {
  const p = event.payload
  return Match.value(event.type).pipe(
    Match.when("project.created.v1", () => `created the project ${Option.getOrElse(text(p, "key"), () => "")}`.trimEnd()),
    Match.when("project.updated.v1", () => Option.match(text(p, "name"), { onNone: () => "updated the project", onSome: (n) => `updated the project ${quoted(n)}` })),
    Match.when("project.moved.v1", () =>
      Option.match(text(p, "to"), { onNone: () => "moved the project", onSome: (to) => `moved the project to ${to.replace("_", " ")}` })
    ),
    Match.when("project.deleted.v1", () => "deleted the project"),
    Match.when("member.added.v1", () => `added ${userLabel(names)} as ${role(event)}`),
    Match.when("member.updated.v1", () => `made ${userLabel(names)} ${role(event)}`),
    Match.when("member.removed.v1", () => `removed ${userLabel(names)} from the project`),
    Match.when("column.created.v1", () => `added the column ${columnLabel(event)}`),
    Match.when("column.updated.v1", () => `changed the column ${columnLabel(event)}`),
    Match.when("column.deleted.v1", () => `deleted the column ${columnLabel(event)}`),
    Match.when("columns.reordered.v1", () => "reordered the columns"),
    Match.when("task.created.v1", () => `created ${taskLabel(event, names)}`),
    Match.when("task.updated.v1", () => {
      const changed = strings(p, "changed")
      return `updated ${taskLabel(event, names)}${changed.length === 0 ? "" : ` (${changed.join(", ")})`}`
    }),
    Match.when("task.moved.v1", () =>
      Option.match(names.column, {
        onNone: () => `moved ${taskLabel(event, names)}`,
        onSome: (column) => `moved ${taskLabel(event, names)} to ${quoted(column)}`
      })
    ),
    Match.when("task.deleted.v1", () => `deleted ${taskLabel(event, names)}`),
    Match.when("task.overdue.v1", () => `${taskLabel(event, names)} is overdue`),
    Match.when("comment.added.v1", () => `commented on ${taskLabel(event, names)}`),
    Match.when("comment.deleted.v1", () => `deleted a comment on ${taskLabel(event, names)}`),
    Match.orElse((type) => type)
  )
}
