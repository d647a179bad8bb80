import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { cacheOn } from "../../../layers/Cache.js"
import { ServicesLive } from "../../../layers/Services.js"
import { CachedViews } from "../../../src/cache/CachedViews.js"
import { InvalidatingRepositories } from "../../../src/cache/Invalidating.js"
import { RedisCacheStoreLive } from "../../../src/cache/RedisCacheStore.js"
import { CreateProject, CreateTask, UpdateTask } from "../../../src/domain/Requests.js"
import * as Redis from "../../../src/events/Redis.js"
import { SqlRepositoriesLive } from "../../../src/repositories/sql/index.js"
import { AuthService } from "../../../src/services/AuthService.js"
import { ProjectService } from "../../../src/services/ProjectService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { UserService } from "../../../src/services/UserService.js"
import { PgliteTest } from "../../support/Database.js"
import { deleteKeys, redisUrl, skipRedis, uniquePrefix } from "../events/RedisSupport.js"

/** One API process's services: its own read cache on the shared Redis prefix, over the shared database. */
const instance = (url: string, prefix: string) =>
  ServicesLive.pipe(
    Layer.provideMerge(InvalidatingRepositories),
    Layer.provideMerge(SqlRepositoriesLive),
    Layer.provideMerge(cacheOn(RedisCacheStoreLive({ url: Redacted.make(url), prefix, timeout: Duration.millis(500) })))
  )

describe.skipIf(skipRedis)("two API instances sharing one Redis and one database", () => {
  it.live("a write through one is read through the other at once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = redisUrl ?? (yield* Effect.dieMessage("Redis is required (REQUIRE_SERVICES=1) but REDIS_URL is not set"))
        const prefix = uniquePrefix("cache-two")
        const cleaner = yield* Redis.make({ url: Redacted.make(url), prefix })
        yield* Effect.addFinalizer(() => Effect.asVoid(deleteKeys(cleaner.commands, prefix)))
        const sql = yield* Layer.build(PgliteTest)
        // Two builds: two sets of services and caches, as two processes would have.
        const a = yield* Layer.build(instance(url, prefix).pipe(Layer.provide(Layer.succeedContext(sql))))
        const b = yield* Layer.build(instance(url, prefix).pipe(Layer.provide(Layer.succeedContext(sql))))
        expect(Context.get(a, CachedViews)).not.toBe(Context.get(b, CachedViews))
        const issued = yield* Effect.flatMap(UserService, (users) => users.bootstrap("admin@two.local")).pipe(Effect.provide(a))
        const token = issued._tag === "Some" ? issued.value.token : yield* Effect.dieMessage("database was not empty")
        const actor = yield* Effect.flatMap(AuthService, (auth) => auth.authenticate(token)).pipe(Effect.provide(a))
        const project = yield* Effect.flatMap(ProjectService, (p) => p.create(actor, new CreateProject({ key: "TWO", name: "Two" }))).pipe(Effect.provide(a))

        const viewsB = Context.get(b, CachedViews)
        const titles = (body: string) => (JSON.parse(body) as { columns: Array<{ tasks: Array<{ title: string }> }> }).columns.flatMap((c) => c.tasks.map((t) => t.title))
        expect(titles(yield* viewsB.board(actor, project.id))).toEqual([])
        expect(titles(yield* viewsB.board(actor, project.id))).toEqual([]) // now cached in Redis

        const tasksA = Context.get(a, TaskService)
        const task = yield* tasksA.create(actor, project.id, new CreateTask({ title: "written through A" }))
        expect(titles(yield* viewsB.board(actor, project.id))).toEqual(["written through A"])

        expect(JSON.parse(yield* viewsB.task(actor, task.id))).toMatchObject({ title: "written through A", version: 1 })
        expect(JSON.parse(yield* viewsB.task(actor, task.id))).toMatchObject({ title: "written through A", version: 1 })
        yield* tasksA.update(actor, task.id, new UpdateTask({ version: 1, title: "renamed through A" }))
        expect(JSON.parse(yield* viewsB.task(actor, task.id))).toMatchObject({ title: "renamed through A", version: 2 })
      })
    ), 60_000)
})
