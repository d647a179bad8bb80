import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { CreateProject, CreateTask } from "../../src/domain/Requests.js"
import { bootstrapAdmin, clientWithKey, TestApiLive } from "../support/TestApi.js"

describe("smoke", () => {
  it.effect("creates a project and reads its board", () =>
    Effect.gen(function* () {
      const admin = yield* bootstrapAdmin
      const client = yield* clientWithKey(admin.token)
      const me = yield* client.users.me()
      expect(me.email).toBe("admin@test.local")
      const project = yield* client.projects.createProject({ payload: new CreateProject({ key: "FLOW", name: "Flow" }) })
      const task = yield* client.tasks.createTask({ path: { projectId: project.id }, payload: new CreateTask({ title: "First" }) })
      const board = yield* client.board.getBoard({ path: { projectId: project.id } })
      expect(board.columns.map((c) => c.name)).toEqual(["Backlog", "To do", "In progress", "Review", "Done"])
      expect(board.columns[0]!.tasks.map((t) => t.id)).toEqual([task.id])
      const raw = yield* HttpClient.HttpClient
      const bad = yield* raw.execute(
        HttpClientRequest.post(`/api/v1/projects/${project.id}/tasks`).pipe(
          HttpClientRequest.bearerToken(admin.token),
          HttpClientRequest.bodyUnsafeJson({ title: "x", bogus: 1 })
        )
      )
      const body = yield* bad.json
      console.log(bad.status, JSON.stringify(body), bad.headers["x-request-id"])
      const nf = yield* raw.execute(HttpClientRequest.get(`/api/v1/nope`))
      console.log(nf.status, JSON.stringify(yield* nf.json))
      const unauth = yield* raw.execute(HttpClientRequest.get(`/api/v1/me`))
      console.log(unauth.status, JSON.stringify(yield* unauth.json))
    }).pipe(Effect.provide(TestApiLive))
  )
})
