import * as Vitest from "@effect/vitest"
import type { Layer } from "effect"
import type { ActivityRepository } from "../../src/repositories/ActivityRepository.js"
import type { ApiKeyRepository } from "../../src/repositories/ApiKeyRepository.js"
import type { AttachmentRepository } from "../../src/repositories/AttachmentRepository.js"
import type { AuditRepository } from "../../src/repositories/AuditRepository.js"
import type { ColumnRepository } from "../../src/repositories/ColumnRepository.js"
import type { CommentRepository } from "../../src/repositories/CommentRepository.js"
import type { DeadLetterRepository } from "../../src/repositories/DeadLetterRepository.js"
import type { EventLogRepository } from "../../src/repositories/EventLogRepository.js"
import type { InboxRepository } from "../../src/repositories/InboxRepository.js"
import type { OutboxRepository } from "../../src/repositories/OutboxRepository.js"
import type { ProjectProgressRepository } from "../../src/repositories/ProjectProgressRepository.js"
import type { ProjectRepository } from "../../src/repositories/ProjectRepository.js"
import type { TaskRepository } from "../../src/repositories/TaskRepository.js"
import type { Transactor } from "../../src/repositories/Transactor.js"
import type { UserRepository } from "../../src/repositories/UserRepository.js"
import type { WebhookRepository } from "../../src/repositories/WebhookRepository.js"
import { activityContract } from "./ActivityContract.js"
import { apiKeyContract } from "./ApiKeyContract.js"
import { attachmentContract } from "./AttachmentContract.js"
import { auditContract } from "./AuditContract.js"
import { columnContract } from "./ColumnContract.js"
import { commentContract } from "./CommentContract.js"
import { deadLetterContract } from "./DeadLetterContract.js"
import { eventLogContract } from "./EventLogContract.js"
import { inboxContract } from "./InboxContract.js"
import { memberContract } from "./MemberContract.js"
import { outboxContract } from "./OutboxContract.js"
import { projectContract } from "./ProjectContract.js"
import { projectListContract } from "./ProjectListContract.js"
import { projectNeighbourContract } from "./ProjectNeighbourContract.js"
import { projectProgressContract } from "./ProjectProgressContract.js"
import { rebalanceContract } from "./RebalanceContract.js"
import { taskContract } from "./TaskContract.js"
import { taskListContract } from "./TaskListContract.js"
import { taskNeighbourContract } from "./TaskNeighbourContract.js"
import { transactorContract } from "./TransactorContract.js"
import { userContract } from "./UserContract.js"
import { webhookContract } from "./WebhookContract.js"

export type RepositoryPorts =
  | Transactor
  | UserRepository
  | ApiKeyRepository
  | ProjectRepository
  | ColumnRepository
  | TaskRepository
  | CommentRepository
  | AttachmentRepository
  | OutboxRepository
  | InboxRepository
  | DeadLetterRepository
  | ActivityRepository
  | ProjectProgressRepository
  | EventLogRepository
  | AuditRepository
  | WebhookRepository

export type ContractIt = Vitest.Vitest.MethodsNonLive<RepositoryPorts>

/**
 * The behaviour every adapter of the repository ports must show. The layer is built once for
 * the whole suite, like a database shared by many tests: each test creates its own rows with
 * unique values and asserts only about those, so the suite also runs against a database other
 * suites are writing to.
 */
export const repositoryContract = (name: string, layer: Layer.Layer<RepositoryPorts, unknown>): void =>
  Vitest.layer(layer)(name, (it) => {
    transactorContract(it)
    userContract(it)
    apiKeyContract(it)
    projectContract(it)
    projectListContract(it)
    projectNeighbourContract(it)
    memberContract(it)
    columnContract(it)
    taskContract(it)
    taskListContract(it)
    taskNeighbourContract(it)
    rebalanceContract(it)
    commentContract(it)
    attachmentContract(it)
    outboxContract(it)
    inboxContract(it)
    deadLetterContract(it)
    activityContract(it)
    projectProgressContract(it)
    eventLogContract(it)
    auditContract(it)
    webhookContract(it)
  })
