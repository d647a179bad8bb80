import { Context, type DateTime, Effect, Either, Exit, FiberRef, HashMap, Layer, Ref } from "effect"
import type { ActivityEntry } from "../../domain/Activity.js"
import type { Attachment } from "../../domain/Attachment.js"
import type { AuditEvent } from "../../domain/Audit.js"
import type { DeadLetter } from "../../domain/DeadLetter.js"
import { RepositoryError } from "../../domain/Errors.js"
import type { OutboxEnvelope } from "../../domain/Events.js"
import type { Job } from "../../domain/Job.js"
import type { Column, Comment, Member, Project, StoredApiKey, Task, User } from "../../domain/Model.js"
import type { ProgressCounts } from "../../domain/Progress.js"
import type { DeliveryAttempt, DeliveryStatus } from "../../domain/Webhook.js"
import type { NewDelivery, StoredWebhook } from "../WebhookRepository.js"

/** A webhook delivery as stored: `seq` is the order of its subscription's queue. */
export interface DeliveryRow extends NewDelivery {
  readonly seq: number
  readonly status: DeliveryStatus
  readonly attempts: ReadonlyArray<DeliveryAttempt>
  readonly nextAttemptAt: DateTime.Utc
  readonly leaseUntil: DateTime.Utc | null
  readonly finishedAt: DateTime.Utc | null
}

/** The task counter is a column of `projects` but not a field of `Project`, so `update` cannot reset it. */
export interface ProjectRow {
  readonly project: Project
  readonly taskSeq: number
}

/** Every table as an immutable map, so a snapshot for rollback is just the previous value. */
export interface Tables {
  readonly users: HashMap.HashMap<string, User>
  readonly apiKeys: HashMap.HashMap<string, StoredApiKey>
  readonly projects: HashMap.HashMap<string, ProjectRow>
  /** Keyed by `memberKey(projectId, userId)`: the composite primary key. */
  readonly members: HashMap.HashMap<string, Member>
  readonly columns: HashMap.HashMap<string, Column>
  readonly tasks: HashMap.HashMap<string, Task>
  readonly comments: HashMap.HashMap<string, Comment>
  /** Metadata only: the bytes are the `AttachmentStorage`'s. */
  readonly attachments: HashMap.HashMap<string, Attachment>
  /** Read models kept by the event handlers, keyed by event id and by project id. */
  readonly activity: HashMap.HashMap<string, ActivityEntry>
  readonly progress: HashMap.HashMap<string, ProgressCounts>
  readonly outbox: HashMap.HashMap<string, OutboxEnvelope>
  /** Keyed by `inboxKey(handler, eventId)`, valued by when it was handled. */
  readonly inbox: HashMap.HashMap<string, DateTime.Utc>
  readonly deadLetters: HashMap.HashMap<string, DeadLetter>
  readonly jobs: HashMap.HashMap<string, Job>
  /** Keyed by `reminderKey(taskId, dueAt)`, valued by when the reminder was recorded. */
  readonly taskReminders: HashMap.HashMap<string, DateTime.Utc>
  /** The audit trail in chain order (`seq` ascending). */
  readonly audit: ReadonlyArray<AuditEvent>
  readonly webhooks: HashMap.HashMap<string, StoredWebhook>
  readonly deliveries: HashMap.HashMap<string, DeliveryRow>
}

const emptyTables: Tables = {
  users: HashMap.empty(),
  apiKeys: HashMap.empty(),
  projects: HashMap.empty(),
  members: HashMap.empty(),
  columns: HashMap.empty(),
  tasks: HashMap.empty(),
  comments: HashMap.empty(),
  attachments: HashMap.empty(),
  activity: HashMap.empty(),
  progress: HashMap.empty(),
  outbox: HashMap.empty(),
  inbox: HashMap.empty(),
  deadLetters: HashMap.empty(),
  jobs: HashMap.empty(),
  taskReminders: HashMap.empty(),
  audit: [],
  webhooks: HashMap.empty(),
  deliveries: HashMap.empty()
}

export const memberKey = (projectId: string, userId: string): string => `${projectId}/${userId}`

/**
 * One SQL statement: a pure function of the tables, so it applies atomically even when fibers
 * of one unit run concurrently. `Left` aborts it and changes nothing, as a violated constraint does.
 */
export type Statement<A> = (tables: Tables) => Either.Either<readonly [A, Tables], RepositoryError>

export const ok = <A>(value: A, tables: Tables): Either.Either<readonly [A, Tables], RepositoryError> =>
  Either.right([value, tables] as const)

/** What Postgres reports as a constraint violation, which the SQL adapter surfaces as a non-transient error. */
export const violation = (message: string): Either.Either<never, RepositoryError> =>
  Either.left(new RepositoryError({ message, transient: false }))

export class MemoryStore extends Context.Tag("flowboard/memory/MemoryStore")<
  MemoryStore,
  {
    readonly read: <A>(query: (tables: Tables) => A) => Effect.Effect<A>
    readonly write: <A>(statement: Statement<A>) => Effect.Effect<A, RepositoryError>
    /** Runs `effect` as one unit of work; see `MemoryTransactor`. */
    readonly unit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
>() {}

const make = Effect.gen(function* () {
  const tables = yield* Ref.make(emptyTables)
  const permit = yield* Effect.makeSemaphore(1)
  // Per store rather than global, so two independent stores never mistake each other's units.
  const inUnit = yield* FiberRef.make(false)

  // Outside a unit a statement is its own unit (autocommit): it waits for the unit in flight,
  // so it can neither see that unit's uncommitted rows nor be erased by its rollback.
  const statement = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.flatMap(FiberRef.get(inUnit), (inside) => (inside ? effect : permit.withPermits(1)(effect)))

  // A nested unit is a savepoint, as in `SqlClient.withTransaction`: its failure undoes only its
  // own writes, and the outer unit decides what happens to the rest.
  const savepoint = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Ref.get(tables), (snapshot) =>
      Effect.onExit(effect, (exit) => (Exit.isSuccess(exit) ? Effect.void : Ref.set(tables, snapshot)))
    )

  return MemoryStore.of({
    read: (query) => statement(Effect.map(Ref.get(tables), query)),
    write: <A>(run: Statement<A>) =>
      statement(
        Effect.flatMap(
          Ref.modify(tables, (current): readonly [Either.Either<A, RepositoryError>, Tables] =>
            Either.match(run(current), {
              onLeft: (error) => [Either.left(error), current],
              onRight: ([value, next]) => [Either.right(value), next]
            })
          ),
          (result) => result
        )
      ),
    unit: (effect) =>
      Effect.flatMap(FiberRef.get(inUnit), (inside) =>
        inside ? savepoint(effect) : permit.withPermits(1)(savepoint(Effect.locally(effect, inUnit, true)))
      )
  })
})

/** A fresh, empty store each time the layer is built. */
export const MemoryStoreLive = Layer.scoped(MemoryStore, make)

/**
 * `update(row, expectedVersion)` requires `row.version === expectedVersion + 1`. Breaking that is
 * a bug in the caller, which the SQL adapter would silently store; the fake makes it loud.
 */
export const requireNextVersion = (resource: string, version: number, expectedVersion: number): Effect.Effect<void> =>
  version === expectedVersion + 1
    ? Effect.void
    : Effect.dieMessage(`${resource}.update: version ${version} must be expectedVersion + 1 (${expectedVersion + 1})`)
