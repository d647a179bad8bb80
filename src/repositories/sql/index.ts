import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { ActivityRepository } from "../ActivityRepository.js"
import type { ApiKeyRepository } from "../ApiKeyRepository.js"
import type { AttachmentRepository } from "../AttachmentRepository.js"
import type { AttachmentStorage } from "../AttachmentStorage.js"
import { AttachmentStorageLive } from "../AttachmentStorageLive.js"
import type { AuditRepository } from "../AuditRepository.js"
import type { ColumnRepository } from "../ColumnRepository.js"
import type { DatabaseStatsRepository } from "../DatabaseStatsRepository.js"
import type { CommentRepository } from "../CommentRepository.js"
import type { DeadLetterRepository } from "../DeadLetterRepository.js"
import type { EventLogRepository } from "../EventLogRepository.js"
import type { InboxRepository } from "../InboxRepository.js"
import type { JobRepository } from "../JobRepository.js"
import type { MaintenanceRepository } from "../MaintenanceRepository.js"
import type { OutboxRepository } from "../OutboxRepository.js"
import type { ProjectProgressRepository } from "../ProjectProgressRepository.js"
import type { ProjectRepository } from "../ProjectRepository.js"
import type { TaskRepository } from "../TaskRepository.js"
import type { Transactor } from "../Transactor.js"
import type { UserRepository } from "../UserRepository.js"
import type { WebhookRepository } from "../WebhookRepository.js"
import { SqlActivityRepositoryLive } from "./SqlActivityRepository.js"
import { SqlApiKeyRepositoryLive } from "./SqlApiKeyRepository.js"
import { SqlAttachmentRepositoryLive } from "./SqlAttachmentRepository.js"
import { SqlAuditRepositoryLive } from "./SqlAuditRepository.js"
import { SqlColumnRepositoryLive } from "./SqlColumnRepository.js"
import { SqlCommentRepositoryLive } from "./SqlCommentRepository.js"
import { SqlDatabaseStatsRepositoryLive } from "./SqlDatabaseStatsRepository.js"
import { SqlDeadLetterRepositoryLive } from "./SqlDeadLetterRepository.js"
import { SqlEventLogRepositoryLive } from "./SqlEventLogRepository.js"
import { SqlInboxRepositoryLive } from "./SqlInboxRepository.js"
import { SqlJobRepositoryLive } from "./SqlJobRepository.js"
import { SqlMaintenanceRepositoryLive } from "./SqlMaintenanceRepository.js"
import { OutboxWakeUpLive } from "./OutboxWakeUp.js"
import { SqlOutboxRepositoryLive } from "./SqlOutboxRepository.js"
import { SqlProjectProgressRepositoryLive } from "./SqlProjectProgressRepository.js"
import { SqlProjectRepositoryLive } from "./SqlProjectRepository.js"
import { SqlTaskRepositoryLive } from "./SqlTaskRepository.js"
import { SqlTransactorLive } from "./SqlTransactor.js"
import { SqlUserRepositoryLive } from "./SqlUserRepository.js"
import { SqlWebhookRepositoryLive } from "./SqlWebhookRepository.js"

export {
  SqlActivityRepositoryLive,
  SqlApiKeyRepositoryLive,
  SqlColumnRepositoryLive,
  SqlCommentRepositoryLive,
  SqlDeadLetterRepositoryLive,
  SqlEventLogRepositoryLive,
  SqlInboxRepositoryLive,
  SqlOutboxRepositoryLive,
  SqlProjectProgressRepositoryLive,
  SqlProjectRepositoryLive,
  SqlTaskRepositoryLive,
  SqlTransactorLive,
  SqlUserRepositoryLive
}

/**
 * Every repository port on the `SqlClient` in context (Postgres or PGlite), and the attachment
 * storage `ATTACHMENT_STORAGE` chooses (that database, or a directory).
 */
export const SqlRepositoriesLive: Layer.Layer<
  | Transactor
  | JobRepository
  | MaintenanceRepository
  | UserRepository
  | ApiKeyRepository
  | ProjectRepository
  | ColumnRepository
  | TaskRepository
  | CommentRepository
  | AttachmentRepository
  | AttachmentStorage
  | OutboxRepository
  | ActivityRepository
  | ProjectProgressRepository
  | EventLogRepository
  | InboxRepository
  | DeadLetterRepository
  | DatabaseStatsRepository
  | AuditRepository
  | WebhookRepository,
  ConfigError,
  SqlClient.SqlClient
> = Layer.mergeAll(
  // One wake-up for both: the transactor asks for what the outbox repository noted.
  Layer.mergeAll(SqlTransactorLive, SqlOutboxRepositoryLive).pipe(Layer.provide(OutboxWakeUpLive)),
  SqlJobRepositoryLive,
  SqlMaintenanceRepositoryLive,
  SqlUserRepositoryLive,
  SqlApiKeyRepositoryLive,
  SqlProjectRepositoryLive,
  SqlColumnRepositoryLive,
  SqlTaskRepositoryLive,
  SqlCommentRepositoryLive,
  SqlAttachmentRepositoryLive,
  AttachmentStorageLive,
  SqlActivityRepositoryLive,
  SqlProjectProgressRepositoryLive,
  SqlEventLogRepositoryLive,
  SqlInboxRepositoryLive,
  SqlDeadLetterRepositoryLive,
  SqlDatabaseStatsRepositoryLive,
  SqlAuditRepositoryLive,
  SqlWebhookRepositoryLive
)
