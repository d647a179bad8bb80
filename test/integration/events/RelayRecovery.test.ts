/**
 * What the relay re-queues when the transport lost its data, and what the outbox/inbox check
 * counts: published events a handler wanting their type has neither recorded nor dead-lettered.
 * On PGlite (the same SQL runs on Postgres in the chaos suite's Redis-loss scenario).
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import type { EventType } from "../../../src/domain/Events.js"
import type { EventHandler } from "../../../src/events/EventHandler.js"
import { countUnhandled, requeueUnhandled } from "../../../src/events/RelayRecovery.js"
import { OutboxRepository } from "../../../src/repositories/OutboxRepository.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { handlerRetry } from "../../../src/resilience/RetrySchedules.js"
import { anEnvelope } from "../../contract/Fixtures.js"
import { PgliteTest } from "../../support/Database.js"

const handler = (name: string, types: ReadonlyArray<EventType> | "*"): EventHandler => ({
  name,
  types,
  concurrency: 1,
  retry: handlerRetry,
  handle: () => Effect.void
})

describe("relay recovery", () => {
  layer(SqlRepositoriesLive.pipe(Layer.provideMerge(PgliteTest)), { excludeTestServices: true })((it) => {
    it.effect("re-queues exactly the published events some handler wanting them has no trace of; counts them once old enough", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const outbox = yield* OutboxRepository
        const all = handler("all", "*")
        const projects = handler("projects", ["project.created.v1"])
        const handled = anEnvelope() // task event: `all` recorded it, `projects` does not want it
        const deadLettered = anEnvelope() // `all` gave up on it
        const lost = anEnvelope() // `all` never saw it
        const lostForProjects = anEnvelope({ type: "project.created.v1", aggregateType: "project" }) // `all` has it, `projects` not
        const unpublished = anEnvelope() // never published: the relay's ordinary work, not a loss
        yield* outbox.append([handled, deadLettered, lost, lostForProjects, unpublished])
        yield* sql`UPDATE outbox SET published_at = now() - interval '10 minutes' WHERE id <> ${unpublished.id}`
        yield* sql`INSERT INTO inbox (handler, event_id, handled_at) VALUES
          ('all', ${handled.id}, now()), ('all', ${lostForProjects.id}, now())`
        yield* sql`INSERT INTO dead_letters (id, handler, event_id, event_type, envelope, attempts, first_failed_at, last_failed_at,
                     error, cause, cause_chain, status, created_at)
                   VALUES (${crypto.randomUUID()}, 'all', ${deadLettered.id}, 'task.created.v1', '{}', 1, now(), now(), 'x', 'x', '[]', 'pending', now())`

        const counts = yield* countUnhandled([all, projects], Duration.minutes(5))
        expect(counts).toEqual([{ handler: "all", count: 1 }, { handler: "projects", count: 1 }])
        // Younger than the bound: not counted yet (a handler may still be on it).
        expect(yield* countUnhandled([all, projects], Duration.minutes(15))).toEqual([{ handler: "all", count: 0 }, { handler: "projects", count: 0 }])

        expect(yield* requeueUnhandled([all, projects])).toBe(2)
        const waiting = yield* sql<{ readonly id: string }>`SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id`
        expect(waiting.map((r) => r.id).sort()).toEqual([lost.id, lostForProjects.id, unpublished.id].sort())
        // Idempotent: nothing more to re-queue until the relay publishes them again.
        expect(yield* requeueUnhandled([all, projects])).toBe(0)
      }))
  })
})
