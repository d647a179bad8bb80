import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Actor } from "../../../src/domain/Actor.js"
import { newId, ProjectId, type ProjectId as ProjectIdT, UserId } from "../../../src/domain/Ids.js"
import type { Project, ProjectStatus } from "../../../src/domain/Model.js"
import * as Rank from "../../../src/domain/Rank.js"
import { AddMember, CreateComment, CreateProject, MoveProject, UpdateMember, UpdateProject } from "../../../src/domain/Requests.js"
import { ColumnRepository } from "../../../src/repositories/ColumnRepository.js"
import { CommentRepository } from "../../../src/repositories/CommentRepository.js"
import { ProjectRepository } from "../../../src/repositories/ProjectRepository.js"
import { CommentService } from "../../../src/services/CommentService.js"
import { ProjectService } from "../../../src/services/ProjectService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import {
  aMember,
  aProject,
  aTask,
  bootstrapAdmin,
  expectFailure,
  expectInvalid,
  failOutbox,
  fresh,
  recording,
  signUp,
  summary,
  taskRows,
  withFaultyOutbox
} from "./Fixtures.js"

const everything = { status: null, search: null, limit: 200, cursor: null } as const

/** Keys of the projects in `status`, top to bottom, as the caller sees them. */
const orderIn = (actor: Actor, status: ProjectStatus) =>
  Effect.gen(function* () {
    const page = yield* Effect.flatMap(ProjectService, (projects) => projects.list(actor, { ...everything, status }))
    return [...page.items].sort((a, b) => (a.rank === b.rank ? (a.id < b.id ? -1 : 1) : a.rank < b.rank ? -1 : 1)).map((p) => p.key)
  })

const move = (actor: Actor, project: Project, fields: Omit<ConstructorParameters<typeof MoveProject>[0], "version">) =>
  Effect.flatMap(ProjectService, (projects) => projects.move(actor, project.id, new MoveProject({ version: project.version, ...fields })))

const stored = (id: ProjectIdT) => Effect.flatMap(ProjectRepository, (projects) => projects.findById(id))

describe("ProjectService", () => {
  describe("create", () => {
    it.effect("makes the creator its owner and seeds the five default columns, only Done being done", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const projects = yield* ProjectService
        const [project, events] = yield* recording(projects.create(ada.actor, new CreateProject({ key: "APOLLO", name: "Apollo", description: "Moon", status: "active" })))
        expect(project).toMatchObject({ key: "APOLLO", name: "Apollo", description: "Moon", status: "active", ownerId: ada.user.id, version: 1 })

        const members = yield* projects.listMembers(ada.actor, project.id)
        expect(members.map((m) => [m.userId, m.role])).toEqual([[ada.user.id, "owner"]])

        const columns = yield* Effect.flatMap(ColumnRepository, (repository) => repository.listByProject(project.id))
        expect(columns.map((c) => [c.name, c.isDone, c.wipLimit])).toEqual([
          ["Backlog", false, null],
          ["To do", false, null],
          ["In progress", false, null],
          ["Review", false, null],
          ["Done", true, null]
        ])

        expect(events.map(summary)).toEqual([{ type: "project.created.v1", aggregateId: project.id, aggregateVersion: 1 }])
        expect(events[0]!.actor).toBe(ada.user.id)
        expect(events[0]!.payload).toMatchObject({ key: "APOLLO", columns: columns.map((c) => ({ id: c.id, name: c.name, isDone: c.isDone })) })
      }).pipe(fresh)
    )

    it.effect("refuses a key that is already taken, and stores nothing", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const bob = yield* signUp()
        yield* aProject(ada.actor, { key: "APOLLO" })
        const [error, events] = yield* recording(aProject(bob.actor, { key: "APOLLO", name: "Another" }).pipe(expectFailure("Conflict")))
        expect(error.message).toContain("APOLLO")
        expect(events).toEqual([])
        const projects = yield* ProjectService
        expect((yield* projects.list(bob.actor, everything)).items).toEqual([])
      }).pipe(fresh)
    )

    it.effect("appends each new project at the bottom of its status", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        for (const key of ["AA", "BB", "CC"]) yield* aProject(ada.actor, { key })
        yield* aProject(ada.actor, { key: "DD", status: "active" })
        expect(yield* orderIn(ada.actor, "planning")).toEqual(["AA", "BB", "CC"])
        expect(yield* orderIn(ada.actor, "active")).toEqual(["DD"])
      }).pipe(fresh)
    )

    it.effect("rolls everything back when its event cannot be stored", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const projects = yield* ProjectService
        yield* failOutbox(true)
        yield* aProject(ada.actor, { key: "APOLLO" }).pipe(expectFailure("RepositoryError"))
        yield* failOutbox(false)
        expect((yield* projects.list(ada.actor, everything)).items).toEqual([])
        // No half-made project squats on the key, its membership or its columns.
        const project = yield* aProject(ada.actor, { key: "APOLLO" })
        expect((yield* projects.listMembers(ada.actor, project.id))).toHaveLength(1)
        expect((yield* Effect.flatMap(ColumnRepository, (c) => c.listByProject(project.id)))).toHaveLength(5)
      }).pipe(withFaultyOutbox)
    )
  })

  describe("visibility", () => {
    it.effect("answers NotFound to non-members, even to system admins", () =>
      Effect.gen(function* () {
        const admin = yield* bootstrapAdmin
        const ada = yield* signUp()
        const bob = yield* signUp()
        const project = yield* aProject(ada.actor)
        const projects = yield* ProjectService
        for (const stranger of [bob.actor, admin.actor]) {
          const [, events] = yield* recording(
            Effect.all([
              projects.get(stranger, project.id).pipe(expectFailure("NotFound")),
              projects.update(stranger, project.id, new UpdateProject({ version: 1, name: "Mine" })).pipe(expectFailure("NotFound")),
              move(stranger, project, { status: "active" }).pipe(expectFailure("NotFound")),
              projects.listMembers(stranger, project.id).pipe(expectFailure("NotFound")),
              projects.addMember(stranger, project.id, new AddMember({ userId: stranger.user.id, role: "owner" })).pipe(expectFailure("NotFound")),
              projects.updateMember(stranger, project.id, ada.user.id, new UpdateMember({ role: "viewer" })).pipe(expectFailure("NotFound")),
              projects.removeMember(stranger, project.id, ada.user.id).pipe(expectFailure("NotFound")),
              projects.delete(stranger, project.id).pipe(expectFailure("NotFound"))
            ])
          )
          expect(events).toEqual([])
          expect((yield* projects.list(stranger, everything)).items).toEqual([])
        }
        expect(yield* stored(project.id)).toEqual(Option.some(project))
      }).pipe(fresh)
    )

    it.effect("answers NotFound for a project that does not exist", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        yield* Effect.flatMap(ProjectService, (p) => p.get(ada.actor, newId(ProjectId))).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )
  })

  describe("list", () => {
    it.effect("filters by status and by text in name, key or description", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        yield* aProject(ada.actor, { key: "MOON", name: "Apollo" })
        yield* aProject(ada.actor, { key: "MARS", name: "Ares", description: "Red planet", status: "active" })
        yield* aProject(ada.actor, { key: "VENUS", name: "Magellan", status: "active" })
        const projects = yield* ProjectService
        const keys = (query: { readonly status?: ProjectStatus; readonly search?: string }) =>
          Effect.map(projects.list(ada.actor, { ...everything, ...query }), (page) => page.items.map((p) => p.key))
        expect(yield* keys({ status: "active" })).toEqual(["MARS", "VENUS"])
        expect(yield* keys({ search: "apol" })).toEqual(["MOON"])
        expect(yield* keys({ search: "venus" })).toEqual(["VENUS"])
        expect(yield* keys({ search: "RED" })).toEqual(["MARS"])
        expect(yield* keys({ status: "planning", search: "Ares" })).toEqual([])
      }).pipe(fresh)
    )

    it.effect("pages through every visible project exactly once and rejects a bad cursor", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const bob = yield* signUp()
        const mine = yield* Effect.forEach([1, 2, 3, 4, 5], () => aProject(ada.actor))
        yield* aProject(bob.actor)
        const projects = yield* ProjectService
        const first = yield* projects.list(ada.actor, { ...everything, limit: 2 })
        const second = yield* projects.list(ada.actor, { ...everything, limit: 2, cursor: first.nextCursor })
        const third = yield* projects.list(ada.actor, { ...everything, limit: 2, cursor: second.nextCursor })
        expect(third.nextCursor).toBeNull()
        expect([...first.items, ...second.items, ...third.items].map((p) => p.id)).toEqual(mine.map((p) => p.id))
        yield* projects.list(ada.actor, { ...everything, cursor: "%%%" }).pipe(expectInvalid("cursor"))
      }).pipe(fresh)
    )
  })

  describe("update", () => {
    it.effect("lets owners rename, bumping the version, and refuses editors and viewers", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor, { name: "Apollo", description: "Moon" })
        const editor = yield* aMember(ada.actor, project, "editor")
        const viewer = yield* aMember(ada.actor, project, "viewer")
        const projects = yield* ProjectService

        for (const member of [viewer, editor]) {
          const [, refused] = yield* recording(projects.update(member.actor, project.id, new UpdateProject({ version: 1, name: "Mine" })).pipe(expectFailure("Forbidden")))
          expect(refused).toEqual([])
        }
        expect((yield* projects.get(viewer.actor, project.id)).name).toBe("Apollo")

        const [updated, events] = yield* recording(projects.update(ada.actor, project.id, new UpdateProject({ version: 1, name: "Artemis" })))
        expect(updated).toMatchObject({ name: "Artemis", description: "Moon", version: 2 })
        expect(yield* projects.get(viewer.actor, project.id)).toEqual(updated)
        expect(events.map(summary)).toEqual([{ type: "project.updated.v1", aggregateId: project.id, aggregateVersion: 2 }])
        expect(events[0]!.payload).toEqual({ name: "Artemis", description: "Moon" })

        const cleared = yield* projects.update(ada.actor, project.id, new UpdateProject({ version: 2, description: "" }))
        expect(cleared).toMatchObject({ name: "Artemis", description: "", version: 3 })
      }).pipe(fresh)
    )

    it.effect("refuses a stale version with VersionConflict and changes nothing", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor, { name: "Apollo" })
        const projects = yield* ProjectService
        const current = yield* projects.update(ada.actor, project.id, new UpdateProject({ version: 1, name: "Artemis" }))
        const [error, events] = yield* recording(
          projects.update(ada.actor, project.id, new UpdateProject({ version: 1, name: "Gemini" })).pipe(expectFailure("VersionConflict"))
        )
        expect(error).toMatchObject({ resource: "project", id: project.id, expected: 1, actual: 2 })
        expect(events).toEqual([])
        expect(yield* stored(project.id)).toEqual(Option.some(current))
      }).pipe(fresh)
    )
  })

  describe("move", () => {
    it.effect("moves a project to another status, at the bottom by default", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const [, b] = yield* Effect.forEach(["AA", "BB", "CC"], (key) => aProject(ada.actor, { key }))
        yield* aProject(ada.actor, { key: "XX", status: "active" })
        const [moved, events] = yield* recording(move(ada.actor, b!, { status: "active" }))
        expect(moved).toMatchObject({ status: "active", version: 2 })
        expect(yield* orderIn(ada.actor, "planning")).toEqual(["AA", "CC"])
        expect(yield* orderIn(ada.actor, "active")).toEqual(["XX", "BB"])
        expect(events.map(summary)).toEqual([{ type: "project.moved.v1", aggregateId: b!.id, aggregateVersion: 2 }])
        expect(events[0]!.payload).toEqual({ from: "planning", to: "active", rank: moved.rank })
      }).pipe(fresh)
    )

    it.effect("places a project at the top, at the bottom, after or before a neighbour", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const [a, b, c, d] = yield* Effect.forEach(["AA", "BB", "CC", "DD"], (key) => aProject(ada.actor, { key, status: "active" }))
        const current = (p: Project) => Effect.map(stored(p.id), Option.getOrThrow)

        yield* move(ada.actor, yield* current(d!), { status: "active", position: "top" })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["DD", "AA", "BB", "CC"])
        yield* move(ada.actor, yield* current(d!), { status: "active", position: "bottom" })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["AA", "BB", "CC", "DD"])
        yield* move(ada.actor, yield* current(c!), { status: "active", afterId: a!.id })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["AA", "CC", "BB", "DD"])
        yield* move(ada.actor, yield* current(a!), { status: "active", beforeId: d!.id })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["CC", "BB", "AA", "DD"])
        yield* move(ada.actor, yield* current(d!), { status: "active", afterId: c!.id, beforeId: b!.id })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["CC", "DD", "BB", "AA"])
        yield* move(ada.actor, yield* current(c!), { status: "active", afterId: a!.id })
        expect(yield* orderIn(ada.actor, "active")).toEqual(["DD", "BB", "AA", "CC"])
      }).pipe(fresh)
    )

    it.effect("rebalances a status whose key would grow too long: same order, versions bumped, no event of its own", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const [a, b, c, d] = yield* Effect.forEach(["AA", "BB", "CC", "DD"], (key) => aProject(ada.actor, { key, status: "on_hold" }))
        const current = (p: Project) => Effect.map(stored(p.id), Option.getOrThrow)
        const types = new Set<string>()
        // BB and CC in turn right after AA: the gap after AA halves with every move.
        for (let i = 0; i < 400; i++) {
          const [, events] = yield* recording(move(ada.actor, yield* current(i % 2 === 0 ? c! : b!), { status: "on_hold", afterId: a!.id }))
          for (const event of events) types.add(event.type)
        }
        expect(yield* orderIn(ada.actor, "on_hold")).toEqual(["AA", "BB", "CC", "DD"])
        const ranks = yield* Effect.forEach([a!, b!, c!, d!], (p) => Effect.map(current(p), (stored) => stored.rank))
        expect(Math.max(...ranks.map((rank) => rank.length))).toBeLessThanOrEqual(Rank.MAX_LENGTH)
        // DD never moved: only a rebalance rewrote it, and bumped its version.
        expect((yield* current(d!)).version).toBeGreaterThan(1)
        expect([...types]).toEqual(["project.moved.v1"])
      }).pipe(fresh)
    )

    it.effect("rejects anchors in another status, invisible to the caller, itself, or out of order, naming the field", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const bob = yield* signUp()
        const a = yield* aProject(ada.actor, { key: "AA", status: "active" })
        const b = yield* aProject(ada.actor, { key: "BB", status: "active" })
        const planned = yield* aProject(ada.actor, { key: "PP" })
        const hidden = yield* aProject(bob.actor, { key: "HH", status: "active" })
        const [, events] = yield* recording(
          Effect.all([
            move(ada.actor, planned, { status: "active", afterId: planned.id }).pipe(expectInvalid("afterId")),
            move(ada.actor, planned, { status: "active", afterId: hidden.id }).pipe(expectInvalid("afterId")),
            move(ada.actor, planned, { status: "active", beforeId: hidden.id }).pipe(expectInvalid("beforeId")),
            move(ada.actor, planned, { status: "active", afterId: newId(ProjectId) }).pipe(expectInvalid("afterId")),
            move(ada.actor, a, { status: "completed", beforeId: b.id }).pipe(expectInvalid("beforeId")),
            move(ada.actor, a, { status: "planning", afterId: b.id }).pipe(expectInvalid("afterId")),
            move(ada.actor, planned, { status: "active", afterId: b.id, beforeId: a.id }).pipe(expectInvalid("beforeId"))
          ])
        )
        expect(events).toEqual([])
        expect(yield* orderIn(ada.actor, "active")).toEqual(["AA", "BB"])
        expect(yield* stored(planned.id)).toEqual(Option.some(planned))
      }).pipe(fresh)
    )

    it.effect("is for owners only, and refuses a stale version without changing anything", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor)
        const editor = yield* aMember(ada.actor, project, "editor")
        yield* move(editor.actor, project, { status: "active" }).pipe(expectFailure("Forbidden"))
        const projects = yield* ProjectService
        yield* projects.update(ada.actor, project.id, new UpdateProject({ version: 1, name: "Renamed" }))
        const before = yield* stored(project.id)
        const [error, events] = yield* recording(move(ada.actor, project, { status: "active" }).pipe(expectFailure("VersionConflict")))
        expect(error).toMatchObject({ expected: 1, actual: 2 })
        expect(events).toEqual([])
        expect(yield* stored(project.id)).toEqual(before)
      }).pipe(fresh)
    )
  })

  describe("members", () => {
    it.effect("lets owners add existing users with a role, once", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const bob = yield* signUp()
        const project = yield* aProject(ada.actor)
        const projects = yield* ProjectService
        const [member, events] = yield* recording(projects.addMember(ada.actor, project.id, new AddMember({ userId: bob.user.id, role: "editor" })))
        expect(member).toMatchObject({ projectId: project.id, userId: bob.user.id, role: "editor" })
        expect((yield* projects.listMembers(bob.actor, project.id)).map((m) => [m.userId, m.role])).toEqual([
          [ada.user.id, "owner"],
          [bob.user.id, "editor"]
        ])
        expect(events.map(summary)).toEqual([{ type: "member.added.v1", aggregateId: project.id, aggregateVersion: 1 }])
        expect(events[0]!.payload).toEqual({ userId: bob.user.id, role: "editor" })
        // Now a member, bob sees the project.
        expect((yield* projects.get(bob.actor, project.id)).id).toBe(project.id)

        const [, none] = yield* recording(projects.addMember(ada.actor, project.id, new AddMember({ userId: bob.user.id, role: "viewer" })).pipe(expectFailure("Conflict")))
        expect(none).toEqual([])
        expect((yield* projects.listMembers(ada.actor, project.id))[1]!.role).toBe("editor")
      }).pipe(fresh)
    )

    it.effect("refuses an unknown user on userId, and non-owners with Forbidden", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const carol = yield* signUp()
        const project = yield* aProject(ada.actor)
        const editor = yield* aMember(ada.actor, project, "editor")
        const projects = yield* ProjectService
        yield* projects.addMember(ada.actor, project.id, new AddMember({ userId: newId(UserId), role: "viewer" })).pipe(expectInvalid("userId"))
        yield* projects.addMember(editor.actor, project.id, new AddMember({ userId: carol.user.id, role: "viewer" })).pipe(expectFailure("Forbidden"))
        yield* projects.updateMember(editor.actor, project.id, ada.user.id, new UpdateMember({ role: "viewer" })).pipe(expectFailure("Forbidden"))
        yield* projects.removeMember(editor.actor, project.id, ada.user.id).pipe(expectFailure("Forbidden"))
        expect(yield* projects.listMembers(ada.actor, project.id)).toHaveLength(2)
      }).pipe(fresh)
    )

    it.effect("changes a member's role, and answers NotFound for a non-member", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const bob = yield* signUp()
        const project = yield* aProject(ada.actor)
        const viewer = yield* aMember(ada.actor, project, "viewer")
        const projects = yield* ProjectService
        const [updated, events] = yield* recording(projects.updateMember(ada.actor, project.id, viewer.user.id, new UpdateMember({ role: "editor" })))
        expect(updated.role).toBe("editor")
        expect(events.map(summary)).toEqual([{ type: "member.updated.v1", aggregateId: project.id, aggregateVersion: 1 }])
        // The promotion takes effect: the former viewer may now change the project's work.
        expect((yield* aTask(viewer.actor, project.id, { title: "Edited" })).title).toBe("Edited")
        yield* projects.updateMember(ada.actor, project.id, bob.user.id, new UpdateMember({ role: "editor" })).pipe(expectFailure("NotFound"))
        yield* projects.removeMember(ada.actor, project.id, bob.user.id).pipe(expectFailure("NotFound"))
      }).pipe(fresh)
    )

    it.effect("never lets the last owner be demoted or removed, nor leave", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor)
        yield* aMember(ada.actor, project, "editor")
        const projects = yield* ProjectService
        const [, events] = yield* recording(
          Effect.all([
            projects.updateMember(ada.actor, project.id, ada.user.id, new UpdateMember({ role: "editor" })).pipe(expectFailure("Conflict")),
            projects.removeMember(ada.actor, project.id, ada.user.id).pipe(expectFailure("Conflict"))
          ])
        )
        expect(events).toEqual([])
        expect((yield* projects.listMembers(ada.actor, project.id))[0]).toMatchObject({ userId: ada.user.id, role: "owner" })
        // Owners may change their own role while another owner remains.
        const bob = yield* aMember(ada.actor, project, "owner")
        expect((yield* projects.updateMember(ada.actor, project.id, ada.user.id, new UpdateMember({ role: "owner" }))).role).toBe("owner")
        yield* projects.updateMember(bob.actor, project.id, ada.user.id, new UpdateMember({ role: "viewer" }))
        yield* projects.removeMember(bob.actor, project.id, bob.user.id).pipe(expectFailure("Conflict"))
      }).pipe(fresh)
    )

    it.effect("lets any member leave, lets owners remove others, and unassigns the removed member's tasks", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor)
        const viewer = yield* aMember(ada.actor, project, "viewer")
        const editor = yield* aMember(ada.actor, project, "editor")
        const theirs = yield* aTask(ada.actor, project.id, { title: "Theirs", assigneeId: editor.user.id })
        const mine = yield* aTask(ada.actor, project.id, { title: "Mine", assigneeId: ada.user.id })
        const projects = yield* ProjectService
        const tasks = yield* TaskService

        yield* projects.removeMember(viewer.actor, project.id, viewer.user.id)
        yield* projects.get(viewer.actor, project.id).pipe(expectFailure("NotFound"))

        yield* projects.removeMember(editor.actor, project.id, ada.user.id).pipe(expectFailure("Forbidden"))
        const [, events] = yield* recording(projects.removeMember(ada.actor, project.id, editor.user.id))
        // The unassigned task changes like any edit: a new version and its own event.
        expect(events.map(summary)).toEqual([
          { type: "member.removed.v1", aggregateId: project.id, aggregateVersion: 1 },
          { type: "task.updated.v1", aggregateId: theirs.id, aggregateVersion: theirs.version + 1 }
        ])
        expect(events[0]!.payload).toEqual({ userId: editor.user.id })
        expect(events[1]!.payload).toEqual({ projectId: project.id, changed: ["assigneeId"] })
        const unassigned = yield* tasks.get(ada.actor, theirs.id)
        expect(unassigned.assigneeId).toBeNull()
        expect(unassigned.version).toBe(theirs.version + 1)
        expect((yield* tasks.get(ada.actor, mine.id)).assigneeId).toBe(ada.user.id)
        expect((yield* projects.listMembers(ada.actor, project.id)).map((m) => m.userId)).toEqual([ada.user.id])
      }).pipe(fresh)
    )
  })

  describe("delete", () => {
    it.effect("is for owners, and removes the project with its members, columns, tasks and comments", () =>
      Effect.gen(function* () {
        const ada = yield* signUp()
        const project = yield* aProject(ada.actor)
        const other = yield* aProject(ada.actor)
        const editor = yield* aMember(ada.actor, project, "editor")
        const task = yield* aTask(ada.actor, project.id)
        const kept = yield* aTask(ada.actor, other.id)
        const comment = yield* Effect.flatMap(CommentService, (c) => c.add(editor.actor, task.id, new CreateComment({ body: "On it" })))
        const projects = yield* ProjectService

        yield* projects.delete(editor.actor, project.id).pipe(expectFailure("Forbidden"))
        const [, events] = yield* recording(projects.delete(ada.actor, project.id))
        expect(events.map(summary)).toEqual([{ type: "project.deleted.v1", aggregateId: project.id, aggregateVersion: 1 }])

        yield* projects.get(ada.actor, project.id).pipe(expectFailure("NotFound"))
        yield* Effect.flatMap(TaskService, (t) => t.get(ada.actor, task.id)).pipe(expectFailure("NotFound"))
        expect(yield* stored(project.id)).toEqual(Option.none())
        expect(yield* Effect.flatMap(ProjectRepository, (p) => p.listMembers(project.id))).toEqual([])
        expect(yield* Effect.flatMap(ColumnRepository, (c) => c.listByProject(project.id))).toEqual([])
        expect(yield* taskRows(project.id)).toEqual([])
        expect(yield* Effect.flatMap(CommentRepository, (c) => c.findById(comment.id))).toEqual(Option.none())
        expect((yield* projects.list(ada.actor, everything)).items.map((p) => p.id)).toEqual([other.id])
        // The other project is untouched.
        expect((yield* Effect.flatMap(TaskService, (t) => t.get(ada.actor, kept.id))).id).toBe(kept.id)
      }).pipe(fresh)
    )
  })
})
