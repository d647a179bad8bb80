import { Effect, Layer, Option, Ref } from "effect"
import { TestLive } from "../../../layers/Test.js"
import type { Actor } from "../../../src/domain/Actor.js"
import { RepositoryError, ValidationError } from "../../../src/domain/Errors.js"
import type { OutboxEnvelope } from "../../../src/domain/Events.js"
import type { ColumnId, ProjectId } from "../../../src/domain/Ids.js"
import type { KeyScope, Project, ProjectRole, Task, User } from "../../../src/domain/Model.js"
import { AddMember, CreateKey, CreateProject, CreateTask, CreateUser } from "../../../src/domain/Requests.js"
import { MemoryRepositoriesLive } from "../../../src/repositories/memory/index.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { TaskRepository } from "../../../src/repositories/TaskRepository.js"
import { AuthService } from "../../../src/services/AuthService.js"
import { BoardService } from "../../../src/services/BoardService.js"
import { ProjectService } from "../../../src/services/ProjectService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { UserService } from "../../../src/services/UserService.js"
import { ServicesLive } from "../../../layers/Services.js"

/**
 * Shared vocabulary for the service specifications. Every test provides `TestLive` itself
 * (`.pipe(fresh)`), so each one starts from an empty store.
 */
export const fresh = Effect.provide(TestLive)

// ---- expected failures ---------------------------------------------------------------------

type Tagged = { readonly _tag: string }
const hasTag = <E extends Tagged, T extends string>(error: E, tag: T): error is Extract<E, { readonly _tag: T }> => error._tag === tag

/** Succeeds with the error when `effect` fails with `tag`; dies (failing the test) otherwise. */
export const expectFailure =
  <T extends string>(tag: T) =>
  <A, E extends Tagged, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Extract<E, { readonly _tag: T }>, never, R> =>
    Effect.matchEffect(effect, {
      onSuccess: () => Effect.dieMessage(`expected a ${tag} failure, but the effect succeeded`),
      onFailure: (error) =>
        hasTag(error, tag) ? Effect.succeed(error) : Effect.dieMessage(`expected a ${tag} failure, got ${error._tag}: ${JSON.stringify(error)}`)
    })

/** A `ValidationError` naming exactly `field`. */
export const expectInvalid =
  (field: string) =>
  <A, E extends Tagged, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(expectFailure("ValidationError")(effect), (error) => {
      const paths = error instanceof ValidationError ? error.issues.map((issue) => issue.path.join(".")) : []
      return error instanceof ValidationError && paths.length === 1 && paths[0] === field
        ? Effect.succeed(error)
        : Effect.dieMessage(`expected a ValidationError on ${field}, got one on [${paths.join(", ")}]`)
    })

// ---- the outbox ----------------------------------------------------------------------------

export const allEvents = Effect.flatMap(OutboxRepository, (outbox) => outbox.listAll)

/** Runs `effect` and returns its result with the events it recorded, in order. */
export const recording = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = new Set((yield* allEvents).map((e) => e.id))
    const result = yield* effect
    const events = (yield* allEvents).filter((e) => !before.has(e.id))
    return [result, events] as const
  })

/** What a test usually checks of an event: its type, aggregate and version. */
export const summary = (event: OutboxEnvelope) => ({
  type: event.type,
  aggregateId: event.aggregateId,
  aggregateVersion: event.aggregateVersion
})

// ---- people --------------------------------------------------------------------------------

export interface Session {
  readonly user: User
  readonly token: string
  readonly actor: Actor
}

let emails = 0
const nextEmail = (): string => `user${++emails}@example.test`

/** The first admin, as `flowboard start` creates it on an empty database, signed in. */
export const bootstrapAdmin = Effect.gen(function* () {
  const users = yield* UserService
  const auth = yield* AuthService
  const issued = yield* Effect.flatMap(users.bootstrap("admin@example.test"), Option.match({
    onNone: () => Effect.dieMessage("bootstrap did nothing: the store was not empty"),
    onSome: Effect.succeed
  }))
  const actor = yield* auth.authenticate(issued.token)
  return { user: issued.user, token: issued.token, actor } satisfies Session
})

/**
 * A new user signed in with its CLI key (`admin` for admins, `read` + `write` for members), or,
 * given `scopes`, with a narrower key the user issued itself.
 */
export const signUp = (options: { readonly role?: "admin" | "member"; readonly scopes?: ReadonlyArray<KeyScope>; readonly name?: string } = {}) =>
  Effect.gen(function* () {
    const users = yield* UserService
    const auth = yield* AuthService
    const created = yield* users.createUserWithKey(new CreateUser({ email: nextEmail(), name: options.name ?? "Ada", role: options.role ?? "member" }))
    const cli = yield* auth.authenticate(created.token)
    if (options.scopes === undefined) return { user: created.user, token: created.token, actor: cli } satisfies Session
    const narrowed = yield* users.createKey(cli, created.user.id, new CreateKey({ name: "narrow", scopes: options.scopes, expiresAt: null }))
    const actor = yield* auth.authenticate(narrowed.token)
    return { user: created.user, token: narrowed.token, actor } satisfies Session
  })

// ---- projects, boards and tasks ------------------------------------------------------------

let keys = 0
export const nextProjectKey = (): string => `P${++keys}`

export const aProject = (owner: Actor, fields: Partial<Omit<CreateProject, "key">> & { readonly key?: string } = {}) =>
  Effect.flatMap(ProjectService, (projects) =>
    projects.create(owner, new CreateProject({ key: fields.key ?? nextProjectKey(), name: fields.name ?? "Apollo", description: fields.description ?? "", status: fields.status ?? "planning" }))
  )

/** A new user added to `project` with `role`, signed in. */
export const aMember = (owner: Actor, project: Project, role: ProjectRole) =>
  Effect.gen(function* () {
    const session = yield* signUp()
    yield* Effect.flatMap(ProjectService, (projects) => projects.addMember(owner, project.id, new AddMember({ userId: session.user.id, role })))
    return session
  })

/** The project's columns by name: `Backlog`, `To do`, `In progress`, `Review`, `Done` by default. */
export const columnsByName = (actor: Actor, projectId: ProjectId) =>
  Effect.gen(function* () {
    const columns = yield* Effect.flatMap(BoardService, (board) => board.listColumns(actor, projectId))
    const byName = new Map(columns.map((c) => [c.name, c.id]))
    return (name: string): ColumnId => {
      const id = byName.get(name)
      if (id === undefined) throw new Error(`no column named ${name}`)
      return id
    }
  })

export const aTask = (actor: Actor, projectId: ProjectId, fields: Partial<ConstructorParameters<typeof CreateTask>[0]> = {}) =>
  Effect.flatMap(TaskService, (tasks) => tasks.create(actor, projectId, new CreateTask({ title: "Write the spec", ...fields })))

/** Task titles of one column, top to bottom, as the board shows them. */
export const titlesIn = (actor: Actor, projectId: ProjectId, columnId: ColumnId) =>
  Effect.gen(function* () {
    const board = yield* Effect.flatMap(BoardService, (service) => service.board(actor, projectId))
    const column = board.columns.find((c) => c.column.id === columnId)
    return (column?.tasks ?? []).map((t: Task) => t.title)
  })

/** Every task row of a project, straight from the repository: the state a failed unit must not touch. */
export const taskRows = (projectId: ProjectId) => Effect.flatMap(TaskRepository, (tasks) => tasks.listByProject(projectId))

// ---- fault injection -----------------------------------------------------------------------

/** Switch for `FaultyOutboxLive`: while on, every outbox append fails as a database fault would. */
export class OutboxFault extends Effect.Service<OutboxFault>()("test/OutboxFault", {
  effect: Effect.map(Ref.make(false), (failing) => ({ failing }))
}) {}

const FaultyOutboxRepository = Layer.effect(
  OutboxRepository,
  Effect.gen(function* () {
    const real = yield* OutboxRepository
    const { failing } = yield* OutboxFault
    return OutboxRepository.of({
      append: (events) =>
        Effect.flatMap(Ref.get(failing), (fail) =>
          fail ? Effect.fail(new RepositoryError({ message: "injected outbox fault", transient: true })) : real.append(events)
        ),
      listAll: real.listAll
    })
  })
)

/**
 * `TestLive` whose outbox can be made to fail on demand: the last statement of every unit of work,
 * so a failure there shows whether the unit's earlier writes were rolled back.
 */
export const withFaultyOutbox = Effect.provide(
  ServicesLive.pipe(
    Layer.provideMerge(FaultyOutboxRepository),
    Layer.provideMerge(MemoryRepositoriesLive),
    Layer.provideMerge(OutboxFault.Default)
  )
)

export const failOutbox = (on: boolean) => Effect.flatMap(OutboxFault, ({ failing }) => Ref.set(failing, on))
