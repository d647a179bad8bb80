import { HttpApi } from "@effect/platform"
import type { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Effect } from "effect"
import { Api } from "../../src/api/Api.js"
import { Attachment } from "../../src/domain/Attachment.js"
import type { JobAccepted } from "../../src/domain/Job.js"
import { BulkTasks } from "../../src/domain/JobRequests.js"
import type { DeadLetter } from "../../src/domain/DeadLetter.js"
import type { Column, Comment, Project, Task } from "../../src/domain/Model.js"
import type { Delivery, Webhook } from "../../src/domain/Webhook.js"
import { CreateColumn, CreateComment, CreateTask } from "../../src/domain/Requests.js"
import { givenDeadLetter } from "../support/DeadLetters.js"
import { TEXT, uploadForm } from "../support/Files.js"
import { type Cast, decodeBody, makeProject, send } from "./Harness.js"

/**
 * Every endpoint of the contract, with a request that would succeed for an authorised caller.
 * The key type is derived from `Api`, so adding an endpoint without a row here does not compile;
 * `contractRoutes` reads the same contract at run time, and the suite checks that method, path
 * and access of every row agree with it.
 */
type Groups = typeof Api extends HttpApi.HttpApi<string, infer G, infer _E, infer _R> ? G : never
type GroupName = HttpApiGroup.HttpApiGroup.Name<Groups>
export type EndpointKey = {
  [N in GroupName]: `${N}.${HttpApiEndpoint.HttpApiEndpoint.Name<HttpApiGroup.HttpApiGroup.EndpointsWithName<Groups, N>>}`
}[GroupName]

/**
 * public: no key needed. user: any valid key. project / task: the caller must be a member of the
 * project (of the task), otherwise the resource does not exist for them.
 */
export type Access = "public" | "user" | "project" | "task"

/** The world the rows' requests point at: a project with members, tasks, a comment, an attachment and an empty column. */
export interface Fixture {
  readonly cast: Cast
  readonly project: Project
  readonly columns: ReadonlyArray<Column>
  /** In the first column, with `comment` on it. */
  readonly task: Task
  readonly comment: Comment
  /** On `task`, uploaded by the editor. */
  readonly attachment: Attachment
  /** The last column, empty: it can be updated and deleted. */
  readonly spareColumn: Column
  /** A job the owner started; queued for good, as the e2e API runs no job runner: it can be read and cancelled. */
  readonly job: JobAccepted
  /** A dead letter whose event its handler has handled since: replaying it succeeds. */
  readonly deadLetter: DeadLetter
  /** The owner's webhook subscription, and the ping queued on it (pending: the e2e API runs no worker). */
  readonly webhook: Webhook
  readonly delivery: Delivery
}

export interface Route {
  readonly method: HttpMethod
  /** The contract's path template, e.g. `/api/v1/tasks/:taskId`. */
  readonly path: string
  readonly access: Access
  /** Refused with 403 to users who are not admins, whatever the key. */
  readonly adminOnly?: boolean
  readonly status: 200 | 201 | 202 | 204
  readonly payload?: (f: Fixture) => unknown
  /** A `multipart/form-data` body instead (an upload). */
  readonly form?: (f: Fixture) => FormData
  /** Path parameters other than the defaults of `pathParams`. */
  readonly params?: (f: Fixture) => Readonly<Record<string, string>>
}

const self = (f: Fixture) => ({ userId: f.cast.owner.user.id })

/** A column other than the spare one and the task's own: somewhere to move or create tasks. */
const otherColumn = (f: Fixture): string => f.columns.find((c) => c.id !== f.spareColumn.id && c.id !== f.task.columnId)?.id ?? f.task.columnId

export const routes: { readonly [K in EndpointKey]: Route } = {
  "users.me": { method: "GET", path: "/api/v1/me", access: "user", status: 200 },
  "users.listUsers": { method: "GET", path: "/api/v1/users", access: "user", adminOnly: true, status: 200 },
  "users.createUser": {
    method: "POST",
    path: "/api/v1/users",
    access: "user",
    adminOnly: true,
    status: 201,
    payload: () => ({ email: "newcomer@test.local", name: "Newcomer" })
  },
  "users.getUser": { method: "GET", path: "/api/v1/users/:userId", access: "user", status: 200, params: self },
  "users.listKeys": { method: "GET", path: "/api/v1/users/:userId/keys", access: "user", status: 200, params: self },
  "users.createKey": {
    method: "POST",
    path: "/api/v1/users/:userId/keys",
    access: "user",
    status: 201,
    params: self,
    payload: () => ({ name: "laptop", scopes: ["read"] })
  },
  // Revoking answers with the revoked key (200), not 204: the client sees what it revoked.
  "users.revokeKey": { method: "DELETE", path: "/api/v1/keys/:keyId", access: "user", status: 200 },

  "projects.listProjects": { method: "GET", path: "/api/v1/projects", access: "user", status: 200 },
  "projects.createProject": { method: "POST", path: "/api/v1/projects", access: "user", status: 201, payload: () => ({ key: "NEWP", name: "New" }) },
  "projects.getProject": { method: "GET", path: "/api/v1/projects/:projectId", access: "project", status: 200 },
  "projects.updateProject": {
    method: "PATCH",
    path: "/api/v1/projects/:projectId",
    access: "project",
    status: 200,
    payload: (f) => ({ version: f.project.version, name: "Renamed" })
  },
  "projects.deleteProject": { method: "DELETE", path: "/api/v1/projects/:projectId", access: "project", status: 204 },
  "projects.moveProject": {
    method: "POST",
    path: "/api/v1/projects/:projectId/move",
    access: "project",
    status: 200,
    payload: (f) => ({ version: f.project.version, status: "active" })
  },
  "projects.listMembers": { method: "GET", path: "/api/v1/projects/:projectId/members", access: "project", status: 200 },
  "projects.addMember": {
    method: "POST",
    path: "/api/v1/projects/:projectId/members",
    access: "project",
    status: 201,
    // The outsider asking to be let in is the request that must not work.
    payload: (f) => ({ userId: f.cast.outsider.user.id, role: "owner" })
  },
  "projects.updateMember": {
    method: "PATCH",
    path: "/api/v1/projects/:projectId/members/:userId",
    access: "project",
    status: 200,
    payload: () => ({ role: "editor" })
  },
  "projects.removeMember": { method: "DELETE", path: "/api/v1/projects/:projectId/members/:userId", access: "project", status: 204 },

  "board.getBoard": { method: "GET", path: "/api/v1/projects/:projectId/board", access: "project", status: 200 },
  "board.listColumns": { method: "GET", path: "/api/v1/projects/:projectId/columns", access: "project", status: 200 },
  "board.createColumn": {
    method: "POST",
    path: "/api/v1/projects/:projectId/columns",
    access: "project",
    status: 201,
    payload: () => ({ name: "QA", wipLimit: 3 })
  },
  "board.reorderColumns": {
    method: "PUT",
    path: "/api/v1/projects/:projectId/columns",
    access: "project",
    status: 200,
    payload: (f) => ({ columnIds: f.columns.map((c) => c.id).reverse() })
  },
  "board.updateColumn": {
    method: "PATCH",
    path: "/api/v1/projects/:projectId/columns/:columnId",
    access: "project",
    status: 200,
    payload: () => ({ wipLimit: 1, name: "Renamed" })
  },
  "board.deleteColumn": { method: "DELETE", path: "/api/v1/projects/:projectId/columns/:columnId", access: "project", status: 204 },

  "tasks.listTasks": { method: "GET", path: "/api/v1/projects/:projectId/tasks", access: "project", status: 200 },
  "tasks.createTask": {
    method: "POST",
    path: "/api/v1/projects/:projectId/tasks",
    access: "project",
    status: 201,
    payload: (f) => ({ title: "Sneaky", priority: "urgent", labels: ["x"], columnId: otherColumn(f) })
  },
  "tasks.getTask": { method: "GET", path: "/api/v1/tasks/:taskId", access: "task", status: 200 },
  "tasks.updateTask": {
    method: "PATCH",
    path: "/api/v1/tasks/:taskId",
    access: "task",
    status: 200,
    payload: (f) => ({ version: f.task.version, title: "Renamed", priority: "low" })
  },
  "tasks.deleteTask": { method: "DELETE", path: "/api/v1/tasks/:taskId", access: "task", status: 204 },
  "tasks.moveTask": {
    method: "POST",
    path: "/api/v1/tasks/:taskId/move",
    access: "task",
    status: 200,
    payload: (f) => ({ version: f.task.version, columnId: otherColumn(f), position: "top" })
  },
  "tasks.listComments": { method: "GET", path: "/api/v1/tasks/:taskId/comments", access: "task", status: 200 },
  "tasks.addComment": { method: "POST", path: "/api/v1/tasks/:taskId/comments", access: "task", status: 201, payload: () => ({ body: "hello" }) },
  "tasks.deleteComment": { method: "DELETE", path: "/api/v1/tasks/:taskId/comments/:commentId", access: "task", status: 204 },

  "attachments.uploadAttachment": {
    method: "POST",
    path: "/api/v1/tasks/:taskId/attachments",
    access: "task",
    status: 201,
    form: () => uploadForm("minutes.txt", TEXT)
  },
  "attachments.listAttachments": { method: "GET", path: "/api/v1/tasks/:taskId/attachments", access: "task", status: 200 },
  "attachments.getAttachment": { method: "GET", path: "/api/v1/tasks/:taskId/attachments/:attachmentId", access: "task", status: 200 },
  "attachments.downloadAttachment": { method: "GET", path: "/api/v1/tasks/:taskId/attachments/:attachmentId/content", access: "task", status: 200 },
  "attachments.deleteAttachment": { method: "DELETE", path: "/api/v1/tasks/:taskId/attachments/:attachmentId", access: "task", status: 204 },

  "activity.listActivity": { method: "GET", path: "/api/v1/projects/:projectId/activity", access: "project", status: 200 },
  // An event stream: `send` reads its status and headers, then hangs up.
  "live.streamEvents": { method: "GET", path: "/api/v1/projects/:projectId/events", access: "project", status: 200 },

  "deadLetters.listDeadLetters": { method: "GET", path: "/api/v1/admin/dead-letters", access: "user", adminOnly: true, status: 200 },
  "deadLetters.getDeadLetter": { method: "GET", path: "/api/v1/admin/dead-letters/:deadLetterId", access: "user", adminOnly: true, status: 200 },
  "deadLetters.replayDeadLetter": { method: "POST", path: "/api/v1/admin/dead-letters/:deadLetterId/replay", access: "user", adminOnly: true, status: 200 },
  "deadLetters.replayDeadLetters": {
    method: "POST",
    path: "/api/v1/admin/dead-letters/replay",
    access: "user",
    adminOnly: true,
    status: 200,
    payload: (f) => ({ ids: [f.deadLetter.id] })
  },
  "deadLetters.discardDeadLetter": { method: "DELETE", path: "/api/v1/admin/dead-letters/:deadLetterId", access: "user", adminOnly: true, status: 204 },
  "databaseInsight.getDatabaseInsight": { method: "GET", path: "/api/v1/admin/db", access: "user", adminOnly: true, status: 200 },
  "audit.listAudit": { method: "GET", path: "/api/v1/admin/audit", access: "user", adminOnly: true, status: 200 },
  "audit.exportAudit": { method: "GET", path: "/api/v1/admin/audit/export", access: "user", adminOnly: true, status: 200 },
  "audit.verifyAudit": { method: "GET", path: "/api/v1/admin/audit/verify", access: "user", adminOnly: true, status: 200 },

  "jobs.getJob": { method: "GET", path: "/api/v1/jobs/:jobId", access: "user", status: 200 },
  "jobs.cancelJob": { method: "POST", path: "/api/v1/jobs/:jobId/cancel", access: "user", status: 200 },
  "jobs.bulkTasks": {
    method: "POST",
    path: "/api/v1/projects/:projectId/tasks/bulk",
    access: "project",
    status: 202,
    payload: (f) => ({ operations: [{ op: "create", title: "Bulk" }, { op: "move", taskId: f.task.id, version: f.task.version, columnId: otherColumn(f) }] })
  },
  "jobs.importTasks": {
    method: "POST",
    path: "/api/v1/projects/:projectId/import",
    access: "project",
    status: 202,
    payload: () => ({ format: "csv", data: "title,priority,labels\nImported,high,a;b\n" })
  },
  "jobs.exportProject": { method: "POST", path: "/api/v1/projects/:projectId/export", access: "project", status: 202 },

  "webhooks.createWebhook": {
    method: "POST",
    path: "/api/v1/projects/:projectId/webhooks",
    access: "project",
    status: 201,
    payload: () => ({ url: "https://hooks.example.com/another", eventTypes: ["task.created.v1"] })
  },
  "webhooks.listWebhooks": { method: "GET", path: "/api/v1/projects/:projectId/webhooks", access: "project", status: 200 },
  "webhooks.getWebhook": { method: "GET", path: "/api/v1/projects/:projectId/webhooks/:webhookId", access: "project", status: 200 },
  "webhooks.updateWebhook": {
    method: "PATCH",
    path: "/api/v1/projects/:projectId/webhooks/:webhookId",
    access: "project",
    status: 200,
    payload: (f) => ({ version: f.webhook.version, description: "Renamed" })
  },
  "webhooks.deleteWebhook": { method: "DELETE", path: "/api/v1/projects/:projectId/webhooks/:webhookId", access: "project", status: 204 },
  "webhooks.rotateWebhookSecret": { method: "POST", path: "/api/v1/projects/:projectId/webhooks/:webhookId/rotate-secret", access: "project", status: 200 },
  "webhooks.pingWebhook": { method: "POST", path: "/api/v1/projects/:projectId/webhooks/:webhookId/test", access: "project", status: 202 },
  "webhooks.listWebhookDeliveries": { method: "GET", path: "/api/v1/projects/:projectId/webhooks/:webhookId/deliveries", access: "project", status: 200 },
  "webhooks.getWebhookDelivery": {
    method: "GET",
    path: "/api/v1/projects/:projectId/webhooks/:webhookId/deliveries/:deliveryId",
    access: "project",
    status: 200
  },
  "webhooks.redeliverWebhookDelivery": {
    method: "POST",
    path: "/api/v1/projects/:projectId/webhooks/:webhookId/deliveries/:deliveryId/redeliver",
    access: "project",
    status: 202
  },

  "health.live": { method: "GET", path: "/health/live", access: "public", status: 200 },
  "health.ready": { method: "GET", path: "/health/ready", access: "public", status: 200 },
  "health.health": { method: "GET", path: "/health", access: "public", status: 200 }
}

export interface RouteRow extends Route {
  readonly key: EndpointKey
}

const isEndpointKey = (key: string): key is EndpointKey => Object.hasOwn(routes, key)

export const rows: ReadonlyArray<RouteRow> = Object.entries(routes).flatMap(([key, route]) => (isEndpointKey(key) ? [{ key, ...route }] : []))

/** What the contract itself says: every endpoint of every group, read with `HttpApi.reflect`. */
export interface ContractRoute {
  readonly key: string
  readonly method: string
  readonly path: string
  readonly authenticated: boolean
}

export const contractRoutes = (): ReadonlyArray<ContractRoute> => {
  const found: Array<ContractRoute> = []
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, group, middleware }) =>
      found.push({ key: `${group.identifier}.${endpoint.name}`, method: endpoint.method, path: endpoint.path, authenticated: middleware.size > 0 })
  })
  return found
}

/** The access a path implies: any path naming a project or a task is scoped by membership. */
export const impliedAccess = (route: ContractRoute): Access =>
  !route.authenticated ? "public" : route.path.includes(":taskId") ? "task" : route.path.includes(":projectId") ? "project" : "user"

/** Default path parameters: the fixture's project, task, spare column, comment; the viewer as member. */
export const pathParams = (f: Fixture, route: Route): Readonly<Record<string, string>> => ({
  projectId: f.project.id,
  taskId: f.task.id,
  columnId: f.spareColumn.id,
  commentId: f.comment.id,
  attachmentId: f.attachment.id,
  userId: f.cast.viewer.user.id,
  keyId: f.cast.owner.readKey.id,
  jobId: f.job.jobId,
  deadLetterId: f.deadLetter.id,
  webhookId: f.webhook.id,
  deliveryId: f.delivery.id,
  ...route.params?.(f)
})

export const fillPath = (template: string, params: Readonly<Record<string, string>>): string =>
  template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${template}`)
    return value
  })

export const urlOf = (f: Fixture, route: Route, override: Readonly<Record<string, string>> = {}): string =>
  fillPath(route.path, { ...pathParams(f, route), ...override })

export const isRead = (route: Route): boolean => route.method === "GET"

/** The fixture, built through the API: `owner` owns the project, `editor` wrote the comment. */
export const makeFixture = (cast: Cast, key: string) =>
  Effect.gen(function* () {
    const { project } = yield* makeProject(cast, key)
    const spareColumn = yield* cast.owner.client.board.createColumn({ path: { projectId: project.id }, payload: new CreateColumn({ name: "Spare" }) })
    const columns = yield* cast.owner.client.board.listColumns({ path: { projectId: project.id } })
    const task = yield* cast.editor.client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title: "Write the spec" }) })
    yield* cast.editor.client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title: "Second" }) })
    const comment = yield* cast.editor.client.tasks.addComment({ path: { taskId: task.id }, payload: new CreateComment({ body: "On it" }) })
    const uploaded = yield* send("POST", `/api/v1/tasks/${task.id}/attachments`, { token: cast.editor.token, form: uploadForm("notes.txt", TEXT) })
    const attachment = decodeBody(Attachment, uploaded)
    const job = yield* cast.owner.client.jobs.bulkTasks({
      path: { projectId: project.id },
      headers: {},
      payload: new BulkTasks({ operations: [{ op: "update", taskId: task.id, version: task.version, title: "Renamed in bulk" }] })
    })
    const deadLetter = yield* givenDeadLetter("e2e-handler", { handledSince: true })
    const { webhook } = yield* cast.owner.client.webhooks.createWebhook({ path: { projectId: project.id }, payload: { url: "https://hooks.example.com/flowboard" } })
    const delivery = yield* cast.owner.client.webhooks.pingWebhook({ path: { projectId: project.id, webhookId: webhook.id } })
    return { cast, project, columns, task, comment, attachment, spareColumn, job, deadLetter, webhook, delivery } satisfies Fixture
  }).pipe(Effect.orDie)

/** The fixture as it is now: current versions of the project and the task, current columns. */
export const refresh = (f: Fixture) =>
  Effect.gen(function* () {
    const board = yield* f.cast.owner.client.board.getBoard({ path: { projectId: f.project.id } })
    const task = board.columns.flatMap((c) => c.tasks).find((t) => t.id === f.task.id) ?? f.task
    // Gone once the table's delete has run: the old one still names it for the routes after.
    const webhook = yield* f.cast.owner.client.webhooks.getWebhook({ path: { projectId: f.project.id, webhookId: f.webhook.id } }).pipe(
      Effect.catchTag("NotFound", () => Effect.succeed(f.webhook))
    )
    return { ...f, project: board.project, columns: board.columns, task, webhook } satisfies Fixture
  }).pipe(Effect.orDie)
