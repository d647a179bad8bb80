import { Either, Match, Option } from "effect"
import { decodePayload } from "../../domain/DomainEvents.js"
import type { EventType, OutboxEnvelope } from "../../domain/Events.js"

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

const quoted = (name: string) => `“${clip(name)}”`

/** `task #12 “Title”`, from the payload where it says, else from the lookup, else `a task`. */
const taskLabel = (names: Names, payload: Option.Option<{ readonly number: number; readonly title?: string }> = Option.none()): string => {
  const number = Option.orElse(Option.map(payload, (p) => p.number), () => Option.map(names.task, (task) => task.number))
  const title = Option.orElse(Option.flatMapNullable(payload, (p) => p.title), () => Option.map(names.task, (task) => task.title))
  return Option.match(number, {
    onNone: () => "a task",
    onSome: (n) => Option.match(title, { onNone: () => `task #${n}`, onSome: (t) => `task #${n} ${quoted(t)}` })
  })
}

const userLabel = (names: Names) => Option.match(names.user, { onNone: () => "a user", onSome: quoted })
const columnLabel = (payload: Option.Option<{ readonly name: string }>) => Option.match(payload, { onNone: () => "a column", onSome: (p) => quoted(p.name) })
const role = (payload: Option.Option<{ readonly role: string }>) => Option.match(payload, { onNone: () => "member", onSome: (p) => p.role })

/** A short, human sentence for the feed, without the actor (the client shows who). */
export const summarise = (event: OutboxEnvelope, names: Names): string => {
  // The payload as its type's class; one that does not decode says nothing, and the words fall back.
  const payload = <T extends EventType>(type: T) => Either.getRight(decodePayload(type, event.payload))
  return Match.value(event.type).pipe(
    Match.when("project.created.v1", (type) => Option.match(payload(type), { onNone: () => "created the project", onSome: (p) => `created the project ${p.key}` })),
    Match.when("project.updated.v1", (type) => Option.match(payload(type), { onNone: () => "updated the project", onSome: (p) => `updated the project ${quoted(p.name)}` })),
    Match.when("project.moved.v1", (type) =>
      Option.match(payload(type), { onNone: () => "moved the project", onSome: (p) => `moved the project to ${p.to.replace("_", " ")}` })
    ),
    Match.when("project.deleted.v1", () => "deleted the project"),
    Match.when("member.added.v1", (type) => `added ${userLabel(names)} as ${role(payload(type))}`),
    Match.when("member.updated.v1", (type) => `made ${userLabel(names)} ${role(payload(type))}`),
    Match.when("member.removed.v1", () => `removed ${userLabel(names)} from the project`),
    Match.when("column.created.v1", (type) => `added the column ${columnLabel(payload(type))}`),
    Match.when("column.updated.v1", (type) => `changed the column ${columnLabel(payload(type))}`),
    Match.when("column.deleted.v1", (type) => `deleted the column ${columnLabel(payload(type))}`),
    Match.when("columns.reordered.v1", () => "reordered the columns")
  ).pipe(
    Match.when("task.created.v1", (type) => `created ${taskLabel(names, payload(type))}`),
    Match.when("task.updated.v1", (type) => {
      const changed = Option.match(payload(type), { onNone: () => [], onSome: (p) => p.changed })
      return `updated ${taskLabel(names)}${changed.length === 0 ? "" : ` (${changed.join(", ")})`}`
    }),
    Match.when("task.moved.v1", () =>
      Option.match(names.column, {
        onNone: () => `moved ${taskLabel(names)}`,
        onSome: (column) => `moved ${taskLabel(names)} to ${quoted(column)}`
      })
    ),
    Match.when("task.deleted.v1", (type) => `deleted ${taskLabel(names, payload(type))}`),
    Match.when("task.overdue.v1", (type) => `${taskLabel(names, payload(type))} is overdue`),
    Match.when("comment.added.v1", () => `commented on ${taskLabel(names)}`),
    Match.when("comment.deleted.v1", () => `deleted a comment on ${taskLabel(names)}`),
    Match.when("attachment.added.v1", (type) =>
      Option.match(payload(type), { onNone: () => `attached a file to ${taskLabel(names)}`, onSome: (p) => `attached ${quoted(p.filename)} to ${taskLabel(names)}` })
    ),
    Match.when("attachment.deleted.v1", (type) =>
      Option.match(payload(type), {
        onNone: () => `removed an attachment from ${taskLabel(names)}`,
        onSome: (p) => `removed the attachment ${quoted(p.filename)} from ${taskLabel(names)}`
      })
    ),
    Match.orElse((type) => type)
  )
}
