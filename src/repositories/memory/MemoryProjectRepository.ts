import { Array as Arr, DateTime, Effect, HashMap, Layer, Option, Order } from "effect"
import { projectIdOf } from "../../domain/Activity.js"
import type { ProjectId } from "../../domain/Ids.js"
import { Member, Project } from "../../domain/Model.js"
import { ProjectRepository, type ProjectFilter } from "../ProjectRepository.js"
import { memberKey, MemoryStore, ok, requireNextVersion, type Tables, violation } from "./MemoryStore.js"
import { containsIgnoringCase, neighbourRank, pageAfter, ranksOf, rewriteRanks, rowsOf } from "./Query.js"

const keyTakenByOther = (t: Tables, key: string, id: string): boolean =>
  rowsOf(t.projects).some((row) => row.project.key === key && row.project.id !== id)

const matches = (t: Tables, filter: ProjectFilter) => (project: { readonly id: string } & ProjectText) =>
  HashMap.has(t.members, memberKey(project.id, filter.memberId)) &&
  (filter.status === null || project.status === filter.status) &&
  (filter.search === null ||
    [project.name, project.key, project.description].some((text) => containsIgnoringCase(text, filter.search!)))

interface ProjectText {
  readonly name: string
  readonly key: string
  readonly description: string
  readonly status: string
}

// "In the order they were added": by `addedAt`, ties broken by user id so the order is total.
const memberOrder: Order.Order<Member> = Order.combine(
  Order.mapInput(DateTime.Order, (m: Member) => m.addedAt),
  Order.mapInput(Order.string, (m: Member) => m.userId)
)

export const MemoryProjectRepository = Layer.effect(
  ProjectRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const projectsOf = (t: Tables) => rowsOf(t.projects).map((row) => row.project)

    return ProjectRepository.of({
      insert: (project) =>
        store.write((t) => {
          if (keyTakenByOther(t, project.key, project.id)) return ok(false, t)
          if (HashMap.has(t.projects, project.id)) return violation(`projects: duplicate id ${project.id}`)
          if (!HashMap.has(t.users, project.ownerId)) return violation("projects.owner_id: no such user")
          return ok(true, { ...t, projects: HashMap.set(t.projects, project.id, { project, taskSeq: 0 }) })
        }),
      recentlyActive: (limit) =>
        store.read((t) => {
          const seen = new Set<ProjectId>()
          const events = Array.from(HashMap.values(t.outbox)).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          for (const event of events) {
            if (seen.size >= limit) break
            Option.map(projectIdOf(event), (id) => HashMap.has(t.projects, id) && seen.add(id))
          }
          return [...seen]
        }),
      findById: (id) => store.read((t) => Option.map(HashMap.get(t.projects, id), (row) => row.project)),
      update: (project, expectedVersion) =>
        Effect.zipRight(
          requireNextVersion("ProjectRepository", project.version, expectedVersion),
          store.write((t) => {
            const row = HashMap.get(t.projects, project.id)
            if (Option.isNone(row) || row.value.project.version !== expectedVersion) return ok(false, t)
            if (keyTakenByOther(t, project.key, project.id)) return violation("projects: duplicate key")
            if (!HashMap.has(t.users, project.ownerId)) return violation("projects.owner_id: no such user")
            const updated = { project, taskSeq: row.value.taskSeq }
            return ok(true, { ...t, projects: HashMap.set(t.projects, project.id, updated) })
          })
        ),
      delete: (id) =>
        store.write((t) => {
          const doomedTasks = new Set(projectTaskIds(t, id))
          return ok(HashMap.has(t.projects, id), {
            ...t,
            projects: HashMap.remove(t.projects, id),
            members: HashMap.filter(t.members, (m) => m.projectId !== id),
            columns: HashMap.filter(t.columns, (c) => c.projectId !== id),
            tasks: HashMap.filter(t.tasks, (task) => task.projectId !== id),
            comments: HashMap.filter(t.comments, (c) => !doomedTasks.has(c.taskId)),
            attachments: HashMap.filter(t.attachments, (a) => !doomedTasks.has(a.taskId)),
            webhooks: HashMap.filter(t.webhooks, (w) => w.webhook.projectId !== id),
            deliveries: HashMap.filter(t.deliveries, (d) => HashMap.get(t.webhooks, d.webhookId).pipe(Option.exists((w) => w.webhook.projectId !== id)))
          })
        }),
      list: (filter, page) => store.read((t) => pageAfter(projectsOf(t).filter(matches(t, filter)), page)),
      neighbourRank: (status, anchor, direction, exclude) =>
        store.read((t) =>
          neighbourRank(
            projectsOf(t).filter((p) => p.status === status),
            anchor,
            direction,
            exclude
          )
        ),
      listRanks: (status) => store.read((t) => ranksOf(projectsOf(t).filter((p) => p.status === status))),
      rewriteRanks: (status, ranks) =>
        store.write((t) => {
          const [count, projects] = rewriteRanks(
            t.projects,
            ranks,
            (row) => row.project.status === status,
            (row, rank) => ({ ...row, project: new Project({ ...row.project, rank, version: row.project.version + 1 }) })
          )
          return ok(count, { ...t, projects })
        }),
      nextTaskNumber: (id) =>
        store.write((t) =>
          Option.match(HashMap.get(t.projects, id), {
            onNone: () => violation(`projects: no project ${id} to number a task in`),
            onSome: (row) => {
              const taskSeq = row.taskSeq + 1
              return ok(taskSeq, { ...t, projects: HashMap.set(t.projects, id, { ...row, taskSeq }) })
            }
          })
        ),

      addMember: (member) =>
        store.write((t) => {
          const key = memberKey(member.projectId, member.userId)
          if (HashMap.has(t.members, key)) return ok(false, t)
          if (!HashMap.has(t.projects, member.projectId)) return violation("project_members.project_id: no such project")
          if (!HashMap.has(t.users, member.userId)) return violation("project_members.user_id: no such user")
          return ok(true, { ...t, members: HashMap.set(t.members, key, member) })
        }),
      // Only the role changes: `addedAt` records history and orders the member list.
      updateMember: (member) =>
        store.write((t) =>
          ok(undefined, {
            ...t,
            members: HashMap.modify(
              t.members,
              memberKey(member.projectId, member.userId),
              (stored) => new Member({ ...stored, role: member.role })
            )
          })
        ),
      removeMember: (projectId, userId) =>
        store.write((t) => ok(HashMap.has(t.members, memberKey(projectId, userId)), { ...t, members: HashMap.remove(t.members, memberKey(projectId, userId)) })),
      findMember: (projectId, userId) => store.read((t) => HashMap.get(t.members, memberKey(projectId, userId))),
      findAccess: (projectId, userId, _lock) =>
        store.read((t) =>
          Option.all({
            project: Option.map(HashMap.get(t.projects, projectId), (row) => row.project),
            member: HashMap.get(t.members, memberKey(projectId, userId))
          })
        ),
      // Units of work run one at a time here: holding a row is simply reading it.
      lockMember: (projectId, userId) => store.read((t) => HashMap.get(t.members, memberKey(projectId, userId))),
      lock: (id) => store.read((t) => Option.map(HashMap.get(t.projects, id), (row) => row.project)),
      listMembers: (projectId) =>
        store.read((t) =>
          Arr.sort(
            rowsOf(t.members).filter((m) => m.projectId === projectId),
            memberOrder
          )
        )
    })
  })
)

const projectTaskIds = (t: Tables, projectId: string): ReadonlyArray<string> =>
  rowsOf(t.tasks)
    .filter((task) => task.projectId === projectId)
    .map((task) => task.id)
