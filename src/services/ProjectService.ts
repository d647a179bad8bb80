import { DateTime, Effect, Metric, Option } from "effect"
import type { Actor } from "../domain/Actor.js"
import { Conflict, NotFound, ValidationError, VersionConflict } from "../domain/Errors.js"
import {
  makeEvent,
  MemberAddedV1,
  MemberRemovedV1,
  MemberUpdatedV1,
  type PayloadFor,
  ProjectCreatedV1,
  ProjectDeletedV1,
  ProjectMovedV1,
  ProjectUpdatedV1,
  TaskUpdatedV1
} from "../domain/DomainEvents.js"
import { ColumnId, newId, ProjectId, type UserId } from "../domain/Ids.js"
import { Column, Member, Project, type ProjectStatus } from "../domain/Model.js"
import { decodeCursor, toPage } from "../domain/Page.js"
import * as Rank from "../domain/Rank.js"
import type { AddMember, CreateProject, MoveProject, UpdateMember, UpdateProject } from "../domain/Requests.js"
import { Outbox } from "../events/Outbox.js"
import { projectsCreated } from "../observability/Metrics.js"
import { ColumnRepository } from "../repositories/ColumnRepository.js"
import { ProjectRepository } from "../repositories/ProjectRepository.js"
import { TaskRepository } from "../repositories/TaskRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { UserRepository } from "../repositories/UserRepository.js"
import { keepShort, placeRank, type Rebalance } from "./Placement.js"
import { ProjectAccess } from "./ProjectAccess.js"

export const DEFAULT_COLUMNS: ReadonlyArray<{ readonly name: string; readonly isDone: boolean }> = [
  { name: "Backlog", isDone: false },
  { name: "To do", isDone: false },
  { name: "In progress", isDone: false },
  { name: "Review", isDone: false },
  { name: "Done", isDone: true }
]

export interface ProjectListQuery {
  readonly status: ProjectStatus | null
  readonly search: string | null
  readonly limit: number
  readonly cursor: string | null
}

const projectEvent = (project: Project, now: DateTime.Utc, payload: PayloadFor<"project">) =>
  makeEvent({ type: "project", id: project.id, version: project.version }, now, payload)

export class ProjectService extends Effect.Service<ProjectService>()("flowboard/ProjectService", {
  effect: Effect.gen(function* () {
    const projects = yield* ProjectRepository
    const columns = yield* ColumnRepository
    const tasks = yield* TaskRepository
    const users = yield* UserRepository
    const tx = yield* Transactor
    const outbox = yield* Outbox
    const access = yield* ProjectAccess

    /**
     * Projects are ranked within a status across every user, so a rebalance rewrites the whole
     * status. It records no event: the projects list is fetched, not streamed (docs/architecture.md).
     */
    const rebalanceStatus = (status: ProjectStatus, id: ProjectId): Rebalance<ProjectId> => ({
      id,
      others: projects.listRanks(status),
      rewrite: (others) => Effect.asVoid(projects.rewriteRanks(status, others))
    })

    const ownerCount = (projectId: ProjectId) =>
      Effect.map(projects.listMembers(projectId), (members) => members.filter((m) => m.role === "owner").length)

    return {
      create: Effect.fn("ProjectService.create")(function* (actor: Actor, input: CreateProject) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const now = yield* DateTime.now
            const last = yield* projects.neighbourRank(input.status, null, "before", null)
            const id = newId(ProjectId)
            const rank = yield* keepShort(rebalanceStatus(input.status, id))(Rank.between(Option.getOrNull(last), null))
            const project = new Project({
              id,
              key: input.key,
              name: input.name,
              description: input.description,
              ownerId: actor.user.id,
              status: input.status,
              rank,
              version: 1,
              createdAt: now,
              updatedAt: now
            })
            if (!(yield* projects.insert(project))) {
              return yield* new Conflict({ message: `project key ${input.key} is already taken` })
            }
            yield* projects.addMember(new Member({ projectId: project.id, userId: actor.user.id, role: "owner", addedAt: now }))
            const ranks = Rank.spread(DEFAULT_COLUMNS.length)
            const created = DEFAULT_COLUMNS.map(
              (c, i) =>
                new Column({ id: newId(ColumnId), projectId: project.id, name: c.name, rank: ranks[i]!, wipLimit: null, isDone: c.isDone, createdAt: now, updatedAt: now })
            )
            yield* Effect.forEach(created, columns.insert, { discard: true })
            yield* outbox.record(actor, [
              projectEvent(
                project,
                now,
                new ProjectCreatedV1({
                  key: project.key,
                  name: project.name,
                  status: project.status,
                  columns: created.map((c) => ({ id: c.id, name: c.name, isDone: c.isDone }))
                })
              )
            ])
            return project
          })
        ).pipe(Effect.tap(() => Metric.increment(projectsCreated)))
      }),

      get: Effect.fn("ProjectService.get")(function* (actor: Actor, id: ProjectId) {
        return (yield* access.require(actor, id, "viewer")).project
      }),

      list: Effect.fn("ProjectService.list")(function* (actor: Actor, query: ProjectListQuery) {
        const after = query.cursor === null ? null : decodeCursor(query.cursor)
        if (query.cursor !== null && after === null) return yield* ValidationError.field("cursor", "is not a valid cursor")
        const rows = yield* projects.list(
          { memberId: actor.user.id, status: query.status, search: query.search },
          { limit: query.limit + 1, after }
        )
        return toPage(rows, query.limit)
      }),

      update: Effect.fn("ProjectService.update")(function* (actor: Actor, id: ProjectId, input: UpdateProject) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // Owners manage the project itself (name, description, status, deletion, members);
            // editors manage its work (tasks, columns, comments).
            const { project } = yield* access.require(actor, id, "owner")
            if (project.version !== input.version) {
              return yield* new VersionConflict({ message: "project was changed by someone else", resource: "project", id, expected: input.version, actual: project.version })
            }
            const now = yield* DateTime.now
            const next = new Project({
              ...project,
              name: input.name ?? project.name,
              description: input.description ?? project.description,
              version: project.version + 1,
              updatedAt: now
            })
            if (!(yield* projects.update(next, project.version))) {
              return yield* new VersionConflict({ message: "project was changed by someone else", resource: "project", id, expected: input.version, actual: project.version + 1 })
            }
            yield* outbox.record(actor, [projectEvent(next, now, new ProjectUpdatedV1({ name: next.name, description: next.description }))])
            return next
          })
        )
      }),

      move: Effect.fn("ProjectService.move")(function* (actor: Actor, id: ProjectId, input: MoveProject) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            const { project } = yield* access.require(actor, id, "owner")
            if (project.version !== input.version) {
              return yield* new VersionConflict({ message: "project was changed by someone else", resource: "project", id, expected: input.version, actual: project.version })
            }
            // Anchors must be projects the caller can see, already in the target status.
            const anchor = (field: "afterId" | "beforeId", anchorId: ProjectId | undefined) =>
              anchorId === undefined
                ? Effect.succeed(null)
                : Effect.gen(function* () {
                    const member = yield* projects.findMember(anchorId, actor.user.id)
                    const other = yield* projects.findById(anchorId)
                    if (Option.isNone(member) || Option.isNone(other) || anchorId === id) {
                      return yield* ValidationError.field(field, "no such project")
                    }
                    if (other.value.status !== input.status) return yield* ValidationError.field(field, `is not in status ${input.status}`)
                    return other.value
                  })
            const rank = yield* placeRank({
              after: yield* anchor("afterId", input.afterId),
              before: yield* anchor("beforeId", input.beforeId),
              position: input.position ?? "bottom",
              neighbour: (at, direction) => projects.neighbourRank(input.status, at, direction, id),
              rebalance: rebalanceStatus(input.status, id)
            })
            const now = yield* DateTime.now
            const next = new Project({ ...project, status: input.status, rank, version: project.version + 1, updatedAt: now })
            if (!(yield* projects.update(next, project.version))) {
              return yield* new VersionConflict({ message: "project was changed by someone else", resource: "project", id, expected: input.version, actual: project.version + 1 })
            }
            yield* outbox.record(actor, [projectEvent(next, now, new ProjectMovedV1({ from: project.status, to: next.status, rank }))])
            return next
          })
        )
      }),

      delete: Effect.fn("ProjectService.delete")(function* (actor: Actor, id: ProjectId) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // The row locked first: writes inside the project (holding it shared) finish before
            // its tasks go, and a second delete waits, then finds nothing (404, no second event).
            const { project } = yield* access.require(actor, id, "owner", "update")
            const now = yield* DateTime.now
            if (!(yield* projects.delete(id))) return yield* NotFound.of("project", id)
            yield* outbox.record(actor, [projectEvent(project, now, new ProjectDeletedV1({ key: project.key }))])
          })
        )
      }),

      listMembers: Effect.fn("ProjectService.listMembers")(function* (actor: Actor, id: ProjectId) {
        yield* access.require(actor, id, "viewer")
        return yield* projects.listMembers(id)
      }),

      addMember: Effect.fn("ProjectService.addMember")(function* (actor: Actor, id: ProjectId, input: AddMember) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // Shared: the project cannot be deleted under the new member's row.
            const { project } = yield* access.require(actor, id, "owner", "keyShare")
            if (Option.isNone(yield* users.findById(input.userId))) return yield* ValidationError.field("userId", "no such user")
            const now = yield* DateTime.now
            const member = new Member({ projectId: id, userId: input.userId, role: input.role, addedAt: now })
            if (!(yield* projects.addMember(member))) return yield* new Conflict({ message: "that user is already a member" })
            yield* outbox.record(actor, [projectEvent(project, now, new MemberAddedV1({ userId: member.userId, role: member.role }))])
            return member
          })
        )
      }),

      updateMember: Effect.fn("ProjectService.updateMember")(function* (actor: Actor, id: ProjectId, userId: UserId, input: UpdateMember) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // Membership changes of a project take turns, so "at least one owner" is counted on
            // what the others committed: two owners demoting each other cannot both succeed.
            const { project } = yield* access.require(actor, id, "owner", "noKeyUpdate")
            const existing = yield* projects.findMember(id, userId)
            if (Option.isNone(existing)) return yield* NotFound.of("member", userId)
            if (existing.value.role === "owner" && input.role !== "owner" && (yield* ownerCount(id)) <= 1) {
              return yield* new Conflict({ message: "a project must keep at least one owner" })
            }
            const now = yield* DateTime.now
            const member = new Member({ ...existing.value, role: input.role })
            yield* projects.updateMember(member)
            yield* outbox.record(actor, [projectEvent(project, now, new MemberUpdatedV1({ userId, role: input.role }))])
            return member
          })
        )
      }),

      removeMember: Effect.fn("ProjectService.removeMember")(function* (actor: Actor, id: ProjectId, userId: UserId) {
        return yield* tx.transaction(
          Effect.gen(function* () {
            // Anyone may leave a project; removing someone else takes an owner.
            const { project } = yield* access.require(actor, id, userId === actor.user.id ? "viewer" : "owner", "noKeyUpdate")
            const existing = yield* projects.findMember(id, userId)
            if (Option.isNone(existing)) return yield* NotFound.of("member", userId)
            if (existing.value.role === "owner" && (yield* ownerCount(id)) <= 1) {
              return yield* new Conflict({ message: "a project must keep at least one owner" })
            }
            const now = yield* DateTime.now
            if (!(yield* projects.removeMember(id, userId))) return yield* NotFound.of("member", userId)
            const unassigned = yield* tasks.unassignAll(id, userId, now)
            yield* outbox.record(actor, [
              projectEvent(project, now, new MemberRemovedV1({ userId })),
              ...unassigned.map((task) =>
                makeEvent({ type: "task", id: task.id, version: task.version }, now, new TaskUpdatedV1({ projectId: id, changed: ["assigneeId"] }))
              )
            ])
          })
        )
      })
    } as const
  })
}) {}
