import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Option, TestClock } from "effect"
import type { Actor } from "../../../src/domain/Actor.js"
import { newId, TaskId, type TaskId as TaskIdT, UserId } from "../../../src/domain/Ids.js"
import * as Rank from "../../../src/domain/Rank.js"
import { CreateColumn, MoveTask, UpdateColumn, UpdateTask } from "../../../src/domain/Requests.js"
import { TaskRepository } from "../../../src/repositories/TaskRepository.js"
import { BoardService } from "../../../src/services/BoardService.js"
import { TaskService, type TaskListQuery } from "../../../src/services/TaskService.js"
import {
  aMember,
  aProject,
  aTask,
  columnsByName,
  expectFailure,
  expectInvalid,
  failOutbox,
  fresh,
  recording,
  signUp,
  summary,
  taskRows,
  titlesIn,
  withFaultyOutbox
} from "./Fixtures.js"
import { moveIntoOneGap } from "./GapMoves.js"

const noFilter: TaskListQuery = {
  columnId: null,
  assigneeId: null,
  label: null,
  priority: null,
  dueBefore: null,
  dueAfter: null,
  search: null,
  limit: 200,
  cursor: null
}

/** A signed-in owner with a fresh project and a lookup of its columns by name. */
const ownerWithProject = Effect.gen(function* () {
  const owner = yield* signUp()
  const project = yield* aProject(owner.actor)
  const column = yield* columnsByName(owner.actor, project.id)
  return { owner, actor: owner.actor, project, column }
})

/** Moves a task as a client would: with the version it last read. */
const moveTask = (actor: Actor, id: TaskIdT, fields: Omit<ConstructorParameters<typeof MoveTask>[0], "version">) =>
  Effect.gen(function* () {
    const tasks = yield* TaskService
    const current = yield* tasks.get(actor, id)
    return yield* tasks.move(actor, id, new MoveTask({ version: current.version, ...fields }))
  })

const setWipLimit = (actor: Actor, projectId: Parameters<BoardService["updateColumn"]>[1], columnId: Parameters<BoardService["updateColumn"]>[2], wipLimit: number) =>
  Effect.flatMap(BoardService, (board) => board.updateColumn(actor, projectId, columnId, new UpdateColumn({ wipLimit })))

const stored = (id: TaskIdT) => Effect.flatMap(TaskRepository, (tasks) => tasks.findById(id)).pipe(Effect.map(Option.getOrThrow))

describe("TaskService", () => {
  describe("create", () => {
    it.effect("puts a new task at the bottom of the first column, numbered in sequence per project", () =>
      Effect.gen(function* () {
        const { actor, owner, project, column } = yield* ownerWithProject
        yield* TestClock.adjust(Duration.minutes(5))
        const [first, events] = yield* recording(aTask(actor, project.id, { title: "First", labels: ["ui", "ui", "api"] }))
        expect(first).toMatchObject({
          projectId: project.id,
          number: 1,
          title: "First",
          description: "",
          columnId: column("Backlog"),
          priority: "medium",
          assigneeId: null,
          labels: ["ui", "api"],
          completedAt: null,
          version: 1,
          createdBy: owner.user.id
        })
        expect(events.map(summary)).toEqual([{ type: "task.created.v1", aggregateId: first.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toEqual({ projectId: project.id, number: 1, title: "First", columnId: column("Backlog"), assigneeId: null })
        expect(events[0]).toMatchObject({ actor: owner.user.id, occurredAt: first.createdAt })
        expect(first.createdAt).toEqual(DateTime.unsafeMake(Duration.toMillis(Duration.minutes(5))))

        const second = yield* aTask(actor, project.id, { title: "Second" })
        const third = yield* aTask(actor, project.id, { title: "Third", columnId: column("Review") })
        expect([second.number, third.number]).toEqual([2, 3])
        expect(yield* titlesIn(actor, project.id, column("Backlog"))).toEqual(["First", "Second"])
        // Numbers are per project.
        expect((yield* aTask(actor, (yield* aProject(actor)).id)).number).toBe(1)
      }).pipe(fresh)
    )

    it.effect("puts a task at the top when asked", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        for (const title of ["A", "B", "C"]) yield* aTask(actor, project.id, { title })
        yield* aTask(actor, project.id, { title: "Urgent", position: "top" })
        yield* aTask(actor, project.id, { title: "Last" })
        expect(yield* titlesIn(actor, project.id, column("Backlog"))).toEqual(["Urgent", "A", "B", "C", "Last"])
      }).pipe(fresh)
    )

    it.effect("keeps order across many insertions at both ends", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        for (let i = 1; i <= 40; i++) yield* aTask(actor, project.id, { title: `t${i}`, position: i % 2 === 0 ? "top" : "bottom" })
        const expected = [...Array.from({ length: 20 }, (_, i) => `t${40 - 2 * i}`), ...Array.from({ length: 20 }, (_, i) => `t${2 * i + 1}`)]
        expect(yield* titlesIn(actor, project.id, column("Backlog"))).toEqual(expected)
      }).pipe(fresh)
    )

    it.effect("accepts only project members as assignees, naming assigneeId", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const member = yield* aMember(actor, project, "viewer")
        const stranger = yield* signUp()
        for (const assigneeId of [stranger.user.id, newId(UserId)]) {
          const [, events] = yield* recording(aTask(actor, project.id, { assigneeId }).pipe(expectInvalid("assigneeId")))
          expect(events).toEqual([])
        }
        expect(yield* taskRows(project.id)).toEqual([])
        const assigned = yield* aTask(actor, project.id, { assigneeId: member.user.id })
        expect(assigned).toMatchObject({ assigneeId: member.user.id, number: 1 })
      }).pipe(fresh)
    )

    it.effect("rejects a column of another project, naming columnId", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const foreign = (yield* columnsByName(actor, (yield* aProject(actor)).id))("To do")
        yield* aTask(actor, project.id, { columnId: foreign }).pipe(expectInvalid("columnId"))
        expect(yield* taskRows(project.id)).toEqual([])
      }).pipe(fresh)
    )

    it.effect("is for editors: viewers are Forbidden, non-members get NotFound", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const editor = yield* aMember(actor, project, "editor")
        const stranger = yield* signUp()
        yield* aTask(viewer.actor, project.id).pipe(expectFailure("Forbidden"))
        yield* aTask(stranger.actor, project.id).pipe(expectFailure("NotFound"))
        expect((yield* aTask(editor.actor, project.id)).createdBy).toBe(editor.user.id)
      }).pipe(fresh)
    )

    it.effect("refuses a task for a full column with WipLimitExceeded, and wastes no task number", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        yield* setWipLimit(actor, project.id, column("In progress"), 2)
        yield* aTask(actor, project.id, { title: "One", columnId: column("In progress") })
        yield* aTask(actor, project.id, { title: "Two", columnId: column("In progress") })
        const before = yield* taskRows(project.id)
        const [error, events] = yield* recording(aTask(actor, project.id, { title: "Three", columnId: column("In progress") }).pipe(expectFailure("WipLimitExceeded")))
        expect(error).toMatchObject({ columnId: column("In progress"), limit: 2 })
        expect(events).toEqual([])
        expect(yield* taskRows(project.id)).toEqual(before)
        expect((yield* aTask(actor, project.id, { title: "Elsewhere" })).number).toBe(3)
      }).pipe(fresh)
    )

    it.effect("marks a task created straight into a done column as completed now", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        yield* TestClock.adjust(Duration.hours(5))
        const now = yield* DateTime.now
        const done = yield* aTask(actor, project.id, { columnId: column("Done") })
        expect(done.completedAt).toEqual(now)
      }).pipe(fresh)
    )

    it.effect("stores nothing, not even a task number, when its event cannot be stored", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        yield* failOutbox(true)
        yield* aTask(actor, project.id).pipe(expectFailure("RepositoryError"))
        yield* failOutbox(false)
        expect(yield* taskRows(project.id)).toEqual([])
        expect((yield* aTask(actor, project.id)).number).toBe(1)
      }).pipe(withFaultyOutbox)
    )
  })

  describe("get", () => {
    it.effect("shows a task to members and hides it from everyone else", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const stranger = yield* signUp()
        const task = yield* aTask(actor, project.id)
        const tasks = yield* TaskService
        expect(yield* tasks.get(viewer.actor, task.id)).toEqual(task)
        const hidden = yield* tasks.get(stranger.actor, task.id).pipe(expectFailure("NotFound"))
        // The task, not the project, is what the stranger is told does not exist.
        expect(hidden).toMatchObject({ resource: "task", id: task.id })
        yield* tasks.get(actor, newId(TaskId)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )
  })

  describe("update", () => {
    it.effect("changes only the fields sent, bumps the version and records what changed", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const member = yield* aMember(actor, project, "editor")
        const due = DateTime.unsafeMake("2026-03-01T12:00:00Z")
        const task = yield* aTask(actor, project.id, { title: "Draft", description: "Rough", dueAt: due, estimate: 3 })
        const tasks = yield* TaskService
        const [updated, events] = yield* recording(
          tasks.update(actor, task.id, new UpdateTask({ version: 1, title: "Final", priority: "urgent", assigneeId: member.user.id, labels: ["a", "b", "a"] }))
        )
        expect(updated).toMatchObject({
          title: "Final",
          description: "Rough",
          priority: "urgent",
          assigneeId: member.user.id,
          labels: ["a", "b"],
          dueAt: due,
          estimate: 3,
          version: 2
        })
        expect(yield* stored(task.id)).toEqual(updated)
        expect(events.map(summary)).toEqual([{ type: "task.updated.v1", aggregateId: task.id, aggregateVersion: 2 }])
        expect(events[0]!.payload).toEqual({ projectId: project.id, changed: ["title", "priority", "assigneeId", "labels"] })

        const cleared = yield* tasks.update(actor, task.id, new UpdateTask({ version: 2, assigneeId: null, dueAt: null, estimate: null, description: "" }))
        expect(cleared).toMatchObject({ assigneeId: null, dueAt: null, estimate: null, description: "", title: "Final", version: 3 })
      }).pipe(fresh)
    )

    it.effect("refuses a non-member assignee, a stale version and viewers, changing nothing", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const stranger = yield* signUp()
        const task = yield* aTask(actor, project.id, { title: "Draft" })
        const tasks = yield* TaskService
        const [results, events] = yield* recording(
          Effect.all([
            tasks.update(actor, task.id, new UpdateTask({ version: 1, assigneeId: stranger.user.id })).pipe(expectInvalid("assigneeId")),
            tasks.update(actor, task.id, new UpdateTask({ version: 2, title: "Ahead of time" })).pipe(expectFailure("VersionConflict")),
            tasks.update(viewer.actor, task.id, new UpdateTask({ version: 1, title: "Mine" })).pipe(expectFailure("Forbidden")),
            tasks.update(stranger.actor, task.id, new UpdateTask({ version: 1, title: "Mine" })).pipe(expectFailure("NotFound"))
          ])
        )
        expect(results[1]).toMatchObject({ resource: "task", id: task.id, expected: 2, actual: 1 })
        expect(events).toEqual([])
        expect(yield* stored(task.id)).toEqual(task)

        yield* tasks.update(actor, task.id, new UpdateTask({ version: 1, title: "Second draft" }))
        yield* tasks.update(actor, task.id, new UpdateTask({ version: 1, title: "Lost update" })).pipe(expectFailure("VersionConflict"))
        expect((yield* stored(task.id)).title).toBe("Second draft")
      }).pipe(fresh)
    )
  })

  describe("move", () => {
    it.effect("moves a task to the bottom of another column and records task.moved.v1", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        yield* aTask(actor, project.id, { title: "Existing", columnId: column("To do") })
        const task = yield* aTask(actor, project.id, { title: "Mover" })
        const [moved, events] = yield* recording(moveTask(actor, task.id, { columnId: column("To do") }))
        expect(moved).toMatchObject({ columnId: column("To do"), version: 2, completedAt: null })
        expect(yield* titlesIn(actor, project.id, column("To do"))).toEqual(["Existing", "Mover"])
        expect(yield* titlesIn(actor, project.id, column("Backlog"))).toEqual([])
        expect(events.map(summary)).toEqual([{ type: "task.moved.v1", aggregateId: task.id, aggregateVersion: 2 }])
        expect(events[0]!.payload).toEqual({
          projectId: project.id,
          fromColumnId: column("Backlog"),
          toColumnId: column("To do"),
          rank: moved.rank,
          completed: false
        })
      }).pipe(fresh)
    )

    it.effect("places a task exactly after, before or between its neighbours, or at the top or bottom", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b, c, d] = yield* Effect.forEach(["A", "B", "C", "D"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        const order = titlesIn(actor, project.id, todo)

        yield* moveTask(actor, d!.id, { columnId: todo, afterId: a!.id })
        expect(yield* order).toEqual(["A", "D", "B", "C"])
        yield* moveTask(actor, a!.id, { columnId: todo, beforeId: c!.id })
        expect(yield* order).toEqual(["D", "B", "A", "C"])
        yield* moveTask(actor, c!.id, { columnId: todo, afterId: d!.id, beforeId: b!.id })
        expect(yield* order).toEqual(["D", "C", "B", "A"])
        yield* moveTask(actor, a!.id, { columnId: todo, position: "top" })
        expect(yield* order).toEqual(["A", "D", "C", "B"])
        yield* moveTask(actor, a!.id, { columnId: todo, position: "bottom" })
        expect(yield* order).toEqual(["D", "C", "B", "A"])
        yield* moveTask(actor, a!.id, { columnId: todo, afterId: b!.id })
        expect(yield* order).toEqual(["D", "C", "B", "A"])
        yield* moveTask(actor, d!.id, { columnId: todo, beforeId: c!.id })
        expect(yield* order).toEqual(["D", "C", "B", "A"])

        // Into another column, between two of its tasks.
        const [x, y] = yield* Effect.forEach(["X", "Y"], (title) => aTask(actor, project.id, { title, columnId: column("Review") }))
        yield* moveTask(actor, c!.id, { columnId: column("Review"), afterId: x!.id, beforeId: y!.id })
        expect(yield* titlesIn(actor, project.id, column("Review"))).toEqual(["X", "C", "Y"])
        yield* moveTask(actor, b!.id, { columnId: column("Review"), beforeId: x!.id })
        expect(yield* titlesIn(actor, project.id, column("Review"))).toEqual(["B", "X", "C", "Y"])
        expect(yield* order).toEqual(["D", "A"])
      }).pipe(fresh)
    )

    it.effect("keeps a column in order under many moves between the same two neighbours", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b, c] = yield* Effect.forEach(["A", "B", "C"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        // Alternately squeeze C and B into the shrinking gap right after A.
        for (let i = 0; i < 30; i++) {
          yield* moveTask(actor, (i % 2 === 0 ? c! : b!).id, { columnId: todo, afterId: a!.id })
        }
        expect(yield* titlesIn(actor, project.id, todo)).toEqual(["A", "B", "C"])
      }).pipe(fresh)
    )

    // The 10,000 moves run in test/slow (npm run test:slow): at about half a millisecond a
    // move they would take a third of this suite's budget. 400 take two rebalances (one per ~160).
    it.effect("keeps every key within Rank.MAX_LENGTH when tasks are moved 400 times into the same gap", () =>
      Effect.gen(function* () {
        const result = yield* moveIntoOneGap(400)
        expect(result.longestMoved).toBeLessThanOrEqual(Rank.MAX_LENGTH)
        expect(result.longestLeft).toBeLessThanOrEqual(Rank.MAX_LENGTH)
        // The last move put B right after A, C having gone there just before it.
        expect(result.titles).toEqual(["Top", "A", "B", "C", "Tail"])
        // The bound was reached and kept by rebalancing, not by luck.
        expect(result.rebalances).toBeGreaterThanOrEqual(2)
      }).pipe(fresh)
    )

    /** Moves B and C in turn right after A until a move needs a rebalance; that move's result and events. */
    const untilRebalanced = (actor: Actor, todo: Parameters<typeof titlesIn>[2], a: TaskIdT, b: TaskIdT, c: TaskIdT) =>
      Effect.gen(function* () {
        for (let i = 0; i < 1_000; i++) {
          const [moved, events] = yield* recording(moveTask(actor, i % 2 === 0 ? c : b, { columnId: todo, afterId: a }))
          if (events.some((event) => event.type === "column.rebalanced.v1")) return [moved, events] as const
        }
        return yield* Effect.dieMessage("no rebalance in 1,000 moves into one gap")
      })

    it.effect("records column.rebalanced.v1 exactly once per rebalance, before the move, in the same unit of work", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b, c, d] = yield* Effect.forEach(["A", "B", "C", "D"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        yield* aTask(actor, project.id, { title: "Elsewhere", columnId: column("Review") })
        const [moved, events] = yield* untilRebalanced(actor, todo, a!.id, b!.id, c!.id)
        expect(events.map(summary)).toEqual([
          { type: "column.rebalanced.v1", aggregateId: project.id, aggregateVersion: project.version },
          { type: "task.moved.v1", aggregateId: moved.id, aggregateVersion: moved.version }
        ])
        expect(events[0]!.payload).toEqual({ columnId: todo, tasks: 4 })
        // The move's event carries the moved task's key on the new scale.
        expect(events[1]!.payload).toMatchObject({ rank: moved.rank })
        const rows = (yield* taskRows(project.id)).filter((task) => task.columnId === todo)
        expect(rows.map((task) => task.rank)).toEqual(Rank.spread(4))
        expect(rows.map((task) => task.title)).toEqual(moved.id === b!.id ? ["A", "B", "C", "D"] : ["A", "C", "B", "D"])
        expect(yield* stored(d!.id)).toMatchObject({ rank: Rank.spread(4)[3], updatedAt: d!.updatedAt })
      }).pipe(fresh)
    )

    it.effect("bumps the versions a rebalance rewrites, so an edit based on a row read before it is refused", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b, c, d] = yield* Effect.forEach(["A", "B", "C", "D"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        yield* untilRebalanced(actor, todo, a!.id, b!.id, c!.id)
        // D was read at version 1 and never edited; the rebalance rewrote its rank.
        const rewritten = yield* stored(d!.id)
        expect(rewritten.version).toBe(2)
        const tasks = yield* TaskService
        yield* tasks.update(actor, d!.id, new UpdateTask({ version: d!.version, title: "Stale" })).pipe(expectFailure("VersionConflict"))
        expect(yield* stored(d!.id)).toEqual(rewritten)
        // With the version it reads now, the edit goes through and the rank stays on the new scale.
        const edited = yield* tasks.update(actor, d!.id, new UpdateTask({ version: rewritten.version, title: "Fresh" }))
        expect(edited.rank).toBe(rewritten.rank)
      }).pipe(fresh)
    )

    it.effect("rolls a rebalance back with the move that needed it", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b, c] = yield* Effect.forEach(["A", "B", "C"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        // The mover lands between A and the other one; stop at the move whose key would be too long.
        for (let i = 0; ; i++) {
          const [mover, other] = i % 2 === 0 ? [c!, b!] : [b!, c!]
          if (Rank.between((yield* stored(a!.id)).rank, (yield* stored(other.id)).rank).length > Rank.MAX_LENGTH) {
            const before = yield* taskRows(project.id)
            yield* failOutbox(true)
            yield* moveTask(actor, mover.id, { columnId: todo, afterId: a!.id }).pipe(expectFailure("RepositoryError"))
            yield* failOutbox(false)
            expect(yield* taskRows(project.id)).toEqual(before)
            return
          }
          yield* moveTask(actor, mover.id, { columnId: todo, afterId: a!.id })
        }
      }).pipe(withFaultyOutbox)
    )

    it.effect("rejects anchors that are not in the target column, or the task itself, naming the field", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const todo = column("To do")
        const [a, b] = yield* Effect.forEach(["A", "B"], (title) => aTask(actor, project.id, { title, columnId: todo }))
        const elsewhere = yield* aTask(actor, project.id, { title: "Elsewhere", columnId: column("Review") })
        const [, events] = yield* recording(
          Effect.all([
            moveTask(actor, a!.id, { columnId: todo, afterId: elsewhere.id }).pipe(expectInvalid("afterId")),
            moveTask(actor, a!.id, { columnId: todo, beforeId: elsewhere.id }).pipe(expectInvalid("beforeId")),
            moveTask(actor, a!.id, { columnId: todo, afterId: a!.id }).pipe(expectInvalid("afterId")),
            moveTask(actor, a!.id, { columnId: todo, beforeId: newId(TaskId) }).pipe(expectInvalid("beforeId")),
            moveTask(actor, elsewhere.id, { columnId: todo, afterId: b!.id, beforeId: a!.id }).pipe(expectInvalid("beforeId")),
            // An anchor in the task's current column is not one in the target column.
            moveTask(actor, a!.id, { columnId: column("Review"), afterId: b!.id }).pipe(expectInvalid("afterId"))
          ])
        )
        expect(events).toEqual([])
        expect(yield* titlesIn(actor, project.id, todo)).toEqual(["A", "B"])
        expect((yield* stored(a!.id)).version).toBe(1)
      }).pipe(fresh)
    )

    it.effect("rejects a column of another project, naming columnId", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const task = yield* aTask(actor, project.id)
        const foreign = (yield* columnsByName(actor, (yield* aProject(actor)).id))("To do")
        yield* moveTask(actor, task.id, { columnId: foreign }).pipe(expectInvalid("columnId"))
        expect(yield* stored(task.id)).toEqual(task)
      }).pipe(fresh)
    )

    it.effect("refuses to move into a full column, but lets tasks be reordered within it", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const doing = column("In progress")
        yield* setWipLimit(actor, project.id, doing, 2)
        const [one, two] = yield* Effect.forEach(["One", "Two"], (title) => aTask(actor, project.id, { title, columnId: doing }))
        const waiting = yield* aTask(actor, project.id, { title: "Waiting" })

        const [error, events] = yield* recording(moveTask(actor, waiting.id, { columnId: doing }).pipe(expectFailure("WipLimitExceeded")))
        expect(error).toMatchObject({ columnId: doing, limit: 2 })
        expect(events).toEqual([])
        expect(yield* stored(waiting.id)).toEqual(waiting)

        yield* moveTask(actor, two!.id, { columnId: doing, beforeId: one!.id })
        expect(yield* titlesIn(actor, project.id, doing)).toEqual(["Two", "One"])

        // Room frees up when a task leaves.
        yield* moveTask(actor, one!.id, { columnId: column("Done") })
        yield* moveTask(actor, waiting.id, { columnId: doing })
        expect(yield* titlesIn(actor, project.id, doing)).toEqual(["Two", "Waiting"])
      }).pipe(fresh)
    )

    it.effect("sets completedAt on entering a done column, keeps it between done columns, clears it on leaving", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const archive = yield* Effect.flatMap(BoardService, (board) => board.createColumn(actor, project.id, new CreateColumn({ name: "Archive", isDone: true })))
        const task = yield* aTask(actor, project.id)
        // Times relative to the start of the test, whatever the clock read then.
        const start = yield* DateTime.now
        const at = (hours: number) => DateTime.addDuration(start, Duration.hours(hours))

        yield* TestClock.adjust(Duration.hours(1))
        expect((yield* moveTask(actor, task.id, { columnId: column("In progress") })).completedAt).toBeNull()
        yield* TestClock.adjust(Duration.hours(1))
        const [done, events] = yield* recording(moveTask(actor, task.id, { columnId: column("Done") }))
        expect(done.completedAt).toEqual(at(2))
        expect(events[0]!.payload).toMatchObject({ completed: true })

        yield* TestClock.adjust(Duration.hours(1))
        expect((yield* moveTask(actor, task.id, { columnId: column("Done"), position: "top" })).completedAt).toEqual(at(2))
        yield* TestClock.adjust(Duration.hours(1))
        expect((yield* moveTask(actor, task.id, { columnId: archive.id })).completedAt).toEqual(at(2))

        yield* TestClock.adjust(Duration.hours(1))
        expect((yield* moveTask(actor, task.id, { columnId: column("Review") })).completedAt).toBeNull()
        yield* TestClock.adjust(Duration.hours(1))
        expect((yield* moveTask(actor, task.id, { columnId: column("Done") })).completedAt).toEqual(at(6))
        expect((yield* stored(task.id)).completedAt).toEqual(at(6))
      }).pipe(fresh)
    )

    it.effect("refuses a stale version with VersionConflict and changes nothing", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const task = yield* aTask(actor, project.id)
        const tasks = yield* TaskService
        const current = yield* tasks.update(actor, task.id, new UpdateTask({ version: 1, title: "Renamed" }))
        const [error, events] = yield* recording(
          tasks.move(actor, task.id, new MoveTask({ version: 1, columnId: column("Done") })).pipe(expectFailure("VersionConflict"))
        )
        expect(error).toMatchObject({ expected: 1, actual: 2 })
        expect(events).toEqual([])
        expect(yield* stored(task.id)).toEqual(current)
      }).pipe(fresh)
    )

    it.effect("leaves the task where it was when the move's event cannot be stored", () =>
      Effect.gen(function* () {
        const { actor, project, column } = yield* ownerWithProject
        const task = yield* aTask(actor, project.id)
        yield* failOutbox(true)
        yield* moveTask(actor, task.id, { columnId: column("Done") }).pipe(expectFailure("RepositoryError"))
        yield* failOutbox(false)
        expect(yield* stored(task.id)).toEqual(task)
      }).pipe(withFaultyOutbox)
    )
  })

  describe("list", () => {
    it.effect("filters by column, assignee, label, priority, due date and text", () =>
      Effect.gen(function* () {
        const { actor, project, column, owner } = yield* ownerWithProject
        const bob = yield* aMember(actor, project, "editor")
        const day = (d: number) => DateTime.unsafeMake(`2026-05-${String(d).padStart(2, "0")}T00:00:00Z`)
        yield* aTask(actor, project.id, { title: "Login page", labels: ["ui"], priority: "high", dueAt: day(10), assigneeId: owner.user.id })
        yield* aTask(actor, project.id, { title: "Schema", description: "Add the LOGIN table", labels: ["db"], dueAt: day(20), columnId: column("To do") })
        yield* aTask(actor, project.id, { title: "Deploy", labels: ["ops", "ui"], priority: "high", assigneeId: bob.user.id, columnId: column("To do") })
        yield* aTask(actor, project.id, { title: "Docs", priority: "low", dueAt: day(15) })
        yield* aTask(actor, (yield* aProject(actor)).id, { title: "Login elsewhere" })

        const tasks = yield* TaskService
        const titles = (query: Partial<TaskListQuery>) =>
          Effect.map(tasks.list(actor, project.id, { ...noFilter, ...query }), (page) => page.items.map((t) => t.title))
        expect(yield* titles({})).toEqual(["Login page", "Schema", "Deploy", "Docs"])
        expect(yield* titles({ columnId: column("To do") })).toEqual(["Schema", "Deploy"])
        expect(yield* titles({ assigneeId: bob.user.id })).toEqual(["Deploy"])
        expect(yield* titles({ label: "ui" })).toEqual(["Login page", "Deploy"])
        expect(yield* titles({ priority: "high" })).toEqual(["Login page", "Deploy"])
        expect(yield* titles({ dueBefore: day(15) })).toEqual(["Login page"])
        expect(yield* titles({ dueAfter: day(15) })).toEqual(["Schema"])
        expect(yield* titles({ dueAfter: day(1), dueBefore: day(31) })).toEqual(["Login page", "Schema", "Docs"])
        expect(yield* titles({ search: "login" })).toEqual(["Login page", "Schema"])
        expect(yield* titles({ search: "LOGIN", label: "ui" })).toEqual(["Login page"])
        expect(yield* titles({ search: "nothing like it" })).toEqual([])
      }).pipe(fresh)
    )

    it.effect("pages through every task exactly once, and rejects a bad cursor", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const created = yield* Effect.forEach(Array.from({ length: 7 }, (_, i) => `T${i}`), (title) => aTask(actor, project.id, { title }))
        const tasks = yield* TaskService
        const seen: Array<string> = []
        let cursor: string | null = null
        let pages = 0
        do {
          const page: { readonly items: ReadonlyArray<{ readonly id: string }>; readonly nextCursor: string | null } = yield* tasks.list(actor, project.id, { ...noFilter, limit: 3, cursor })
          expect(page.items.length).toBeLessThanOrEqual(3)
          seen.push(...page.items.map((t) => t.id))
          cursor = page.nextCursor
          pages++
        } while (cursor !== null)
        expect(pages).toBe(3)
        expect(seen).toEqual(created.map((t) => t.id))

        const exact = yield* tasks.list(actor, project.id, { ...noFilter, limit: 7 })
        expect(exact.nextCursor).toBeNull()
        yield* tasks.list(actor, project.id, { ...noFilter, cursor: "bm90IGFuIGlk" }).pipe(expectInvalid("cursor"))
      }).pipe(fresh)
    )

    it.effect("answers NotFound to non-members", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        yield* aTask(actor, project.id)
        const stranger = yield* signUp()
        yield* Effect.flatMap(TaskService, (tasks) => tasks.list(stranger.actor, project.id, noFilter)).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )
  })

  describe("delete", () => {
    it.effect("removes the task and records task.deleted.v1 at its current version; viewers are Forbidden", () =>
      Effect.gen(function* () {
        const { actor, project } = yield* ownerWithProject
        const viewer = yield* aMember(actor, project, "viewer")
        const task = yield* aTask(actor, project.id)
        const kept = yield* aTask(actor, project.id, { title: "Kept" })
        const tasks = yield* TaskService
        yield* tasks.update(actor, task.id, new UpdateTask({ version: 1, title: "Doomed" }))

        yield* tasks.delete(viewer.actor, task.id).pipe(expectFailure("Forbidden"))
        const [, events] = yield* recording(tasks.delete(actor, task.id))
        expect(events.map(summary)).toEqual([{ type: "task.deleted.v1", aggregateId: task.id, aggregateVersion: 2 }])
        expect(events[0]!.payload).toEqual({ projectId: project.id, number: 1 })
        yield* tasks.get(actor, task.id).pipe(expectFailure("NotFound"))
        yield* tasks.delete(actor, task.id).pipe(expectFailure("NotFound"))
        expect((yield* taskRows(project.id)).map((t) => t.id)).toEqual([kept.id])
      }).pipe(fresh)
    )
  })
})
