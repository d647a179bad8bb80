import { Layer } from "effect"
import { MemoryActivityRepository } from "./MemoryActivityRepository.js"
import { MemoryAuditRepository } from "./MemoryAuditRepository.js"
import { MemoryApiKeyRepository } from "./MemoryApiKeyRepository.js"
import { MemoryAttachmentRepository } from "./MemoryAttachmentRepository.js"
import { MemoryAttachmentStorage } from "./MemoryAttachmentStorage.js"
import { MemoryColumnRepository } from "./MemoryColumnRepository.js"
import { MemoryCommentRepository } from "./MemoryCommentRepository.js"
import { MemoryDatabaseStatsRepository } from "./MemoryDatabaseStatsRepository.js"
import { MemoryDeadLetterRepository } from "./MemoryDeadLetterRepository.js"
import { MemoryEventLogRepository } from "./MemoryEventLogRepository.js"
import { MemoryInboxRepository } from "./MemoryInboxRepository.js"
import { MemoryJobRepository } from "./MemoryJobRepository.js"
import { MemoryMaintenanceRepository } from "./MemoryMaintenanceRepository.js"
import { MemoryOutboxRepository } from "./MemoryOutboxRepository.js"
import { MemoryProjectProgressRepository } from "./MemoryProjectProgressRepository.js"
import { MemoryProjectRepository } from "./MemoryProjectRepository.js"
import { MemoryStoreLive } from "./MemoryStore.js"
import { MemoryTaskRepository } from "./MemoryTaskRepository.js"
import { MemoryTransactor } from "./MemoryTransactor.js"
import { MemoryUserRepository } from "./MemoryUserRepository.js"
import { MemoryWebhookRepository } from "./MemoryWebhookRepository.js"

/**
 * Every repository port and the Transactor over one shared in-memory store. Each build of the
 * layer starts from an empty store, so tests that provide it separately are isolated; a single
 * build is shared by everything inside it, as one database is.
 */
export const MemoryRepositoriesLive = Layer.mergeAll(
  MemoryTransactor,
  MemoryJobRepository,
  MemoryMaintenanceRepository,
  MemoryUserRepository,
  MemoryApiKeyRepository,
  MemoryProjectRepository,
  MemoryColumnRepository,
  MemoryTaskRepository,
  MemoryCommentRepository,
  MemoryAttachmentRepository,
  MemoryAttachmentStorage,
  MemoryOutboxRepository,
  MemoryActivityRepository,
  MemoryProjectProgressRepository,
  MemoryEventLogRepository,
  MemoryInboxRepository,
  MemoryDeadLetterRepository,
  MemoryDatabaseStatsRepository,
  MemoryAuditRepository,
  MemoryWebhookRepository
).pipe(Layer.provide(MemoryStoreLive))
