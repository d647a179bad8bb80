import { Effect, Layer } from "effect"
import { OutboxRepository } from "../repositories/OutboxRepository.js"
import { ProjectProgressRepository } from "../repositories/ProjectProgressRepository.js"
import { ProjectRepository } from "../repositories/ProjectRepository.js"
import { Transactor } from "../repositories/Transactor.js"
import { CacheInvalidation } from "./CacheInvalidation.js"
import { progressScope, projectScope, scopesOfEvents } from "./CacheScopes.js"

/**
 * Decorators over the repository ports that tell the cache what a unit of work changed. They
 * sit beneath the services and the event handlers alike (layers/Cache.ts), so no service has to
 * remember to invalidate:
 *
 * - `Transactor`: the outermost unit invalidates what its writes touched, after its commit.
 * - `OutboxRepository.append`: every service write records its events in its unit of work, so
 *   the events name the projects it changed.
 * - `ProjectRepository.rewriteRanks`: a project status rebalance records no event but changes
 *   other projects' ranks and versions.
 * - `ProjectProgressRepository`: the progress handler's writes (its own scope, so a recount does
 *   not evict boards). Its writes are listed in a typed object: a write method added to the port
 *   does not compile here until it says which scope it touches.
 */
type ProgressPort = typeof ProjectProgressRepository.Service
type ProgressReads = "find" | "countByColumn" | "countOverdue"

const after = <A, E>(write: Effect.Effect<A, E>, scopes: (a: A) => ReadonlyArray<string>, touch: (scopes: ReadonlyArray<string>) => Effect.Effect<void>) =>
  Effect.tap(write, (a) => touch(scopes(a)))

export const InvalidatingTransactor = Layer.effect(
  Transactor,
  Effect.gen(function* () {
    const inner = yield* Transactor
    const { tracked } = yield* CacheInvalidation
    return Transactor.of({ transaction: (unit) => tracked(inner.transaction(unit)) })
  })
)

export const InvalidatingOutbox = Layer.effect(
  OutboxRepository,
  Effect.gen(function* () {
    const inner = yield* OutboxRepository
    const { touch } = yield* CacheInvalidation
    return OutboxRepository.of({ ...inner, append: (events) => after(inner.append(events), () => scopesOfEvents(events), touch) })
  })
)

export const InvalidatingProjects = Layer.effect(
  ProjectRepository,
  Effect.gen(function* () {
    const inner = yield* ProjectRepository
    const { touch } = yield* CacheInvalidation
    return ProjectRepository.of({
      ...inner,
      rewriteRanks: (status, ranks) => after(inner.rewriteRanks(status, ranks), () => ranks.map((r) => projectScope(r.id)), touch)
    })
  })
)

export const InvalidatingProgress = Layer.effect(
  ProjectProgressRepository,
  Effect.gen(function* () {
    const inner = yield* ProjectProgressRepository
    const { touch } = yield* CacheInvalidation
    const writes: { readonly [K in Exclude<keyof ProgressPort, ProgressReads>]: ProgressPort[K] } = {
      lock: (projectId) => after(inner.lock(projectId), () => [progressScope(projectId)], touch),
      save: (counts) => after(inner.save(counts), () => [progressScope(counts.projectId)], touch),
      delete: (projectId) => after(inner.delete(projectId), () => [progressScope(projectId)], touch)
    }
    return ProjectProgressRepository.of({ ...inner, ...writes })
  })
)

/** All of them, over the undecorated ports. */
export const InvalidatingRepositories = Layer.mergeAll(InvalidatingTransactor, InvalidatingOutbox, InvalidatingProjects, InvalidatingProgress)
