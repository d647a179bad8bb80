import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { ApiKeyRepository } from "../ApiKeyRepository.js"
import type { ColumnRepository } from "../ColumnRepository.js"
import type { CommentRepository } from "../CommentRepository.js"
import type { DeadLetterRepository } from "../DeadLetterRepository.js"
import type { InboxRepository } from "../InboxRepository.js"
import type { JobRepository } from "../JobRepository.js"
import type { OutboxRepository } from "../OutboxRepository.js"
import type { ProjectRepository } from "../ProjectRepository.js"
import type { TaskRepository } from "../TaskRepository.js"
import type { Transactor } from "../Transactor.js"
import type { UserRepository } from "../UserRepository.js"
import { SqlApiKeyRepositoryLive } from "./SqlApiKeyRepository.js"
import { SqlColumnRepositoryLive } from "./SqlColumnRepository.js"
import { SqlCommentRepositoryLive } from "./SqlCommentRepository.js"
import { SqlDeadLetterRepositoryLive } from "./SqlDeadLetterRepository.js"
import { SqlInboxRepositoryLive } from "./SqlInboxRepository.js"
import { SqlJobRepositoryLive } from "./SqlJobRepository.js"
import { SqlOutboxRepositoryLive } from "./SqlOutboxRepository.js"
import { SqlProjectRepositoryLive } from "./SqlProjectRepository.js"
import { SqlTaskRepositoryLive } from "./SqlTaskRepository.js"
import { SqlTransactorLive } from "./SqlTransactor.js"
import { SqlUserRepositoryLive } from "./SqlUserRepository.js"

export {
  SqlApiKeyRepositoryLive,
  SqlColumnRepositoryLive,
  SqlCommentRepositoryLive,
  SqlDeadLetterRepositoryLive,
  SqlInboxRepositoryLive,
  SqlOutboxRepositoryLive,
  SqlProjectRepositoryLive,
  SqlTaskRepositoryLive,
  SqlTransactorLive,
  SqlUserRepositoryLive
}

/** Every repository port on the `SqlClient` in context (Postgres or PGlite). */
export const SqlRepositoriesLive: Layer.Layer<
  | Transactor
  | JobRepository
  | UserRepository
  | ApiKeyRepository
  | ProjectRepository
  | ColumnRepository
  | TaskRepository
  | CommentRepository
  | OutboxRepository
  | InboxRepository
  | DeadLetterRepository,
  never,
  SqlClient.SqlClient
> = Layer.mergeAll(
  SqlTransactorLive,
  SqlJobRepositoryLive,
  SqlUserRepositoryLive,
  SqlApiKeyRepositoryLive,
  SqlProjectRepositoryLive,
  SqlColumnRepositoryLive,
  SqlTaskRepositoryLive,
  SqlCommentRepositoryLive,
  SqlOutboxRepositoryLive,
  SqlInboxRepositoryLive,
  SqlDeadLetterRepositoryLive
)
