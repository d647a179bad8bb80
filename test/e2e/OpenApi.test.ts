import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestApiLive } from "../support/TestApi.js"
import { decodeBody, get } from "./Harness.js"
import { contractRoutes } from "./Routes.js"

const Operation = Schema.Struct({
  operationId: Schema.optional(Schema.String),
  responses: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  security: Schema.optional(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) })))
})
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const

const Document = Schema.Struct({
  openapi: Schema.String,
  info: Schema.Struct({ title: Schema.String, version: Schema.String }),
  paths: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      get: Schema.optional(Operation),
      put: Schema.optional(Operation),
      post: Schema.optional(Operation),
      delete: Schema.optional(Operation),
      patch: Schema.optional(Operation),
      head: Schema.optional(Operation),
      options: Schema.optional(Operation)
    })
  }),
  components: Schema.Struct({
    securitySchemes: Schema.Record({ key: Schema.String, value: Schema.Struct({ type: Schema.String, scheme: Schema.optional(Schema.String) }) })
  })
})

/** The paths the issue asks for by name. */
const namedPaths = [
  "/api/v1/me",
  "/api/v1/users",
  "/api/v1/users/{userId}/keys",
  "/api/v1/keys/{keyId}",
  "/api/v1/projects",
  "/api/v1/projects/{projectId}",
  "/api/v1/projects/{projectId}/move",
  "/api/v1/projects/{projectId}/members",
  "/api/v1/projects/{projectId}/columns",
  "/api/v1/projects/{projectId}/board",
  "/api/v1/projects/{projectId}/tasks",
  "/api/v1/tasks/{taskId}",
  "/api/v1/tasks/{taskId}/move",
  "/api/v1/tasks/{taskId}/comments"
]

const fetchSpec = Effect.map(get("/api/openapi.json"), (reply) => {
  expect(reply.status).toBe(200)
  return decodeBody(Document, reply)
})

const operations = (spec: typeof Document.Type) =>
  Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method]
      return operation === undefined ? [] : [{ path, method, operation }]
    })
  )

layer(TestApiLive)("the OpenAPI document", (it) => {
  it.effect("is OpenAPI 3.1, served without a key", () =>
    Effect.gen(function* () {
      const spec = yield* fetchSpec
      expect(spec.openapi.startsWith("3.1")).toBe(true)
      expect(spec.info.title).toBe("Flowboard API")
    })
  )

  it.effect("documents every path the issue names, and every endpoint of the contract", () =>
    Effect.gen(function* () {
      const spec = yield* fetchSpec
      const documented = Object.keys(spec.paths)
      expect(namedPaths.filter((p) => !documented.includes(p))).toEqual([])
      const fromContract = contractRoutes().map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`)
      const fromSpec = operations(spec).map((o) => `${o.method} ${o.path}`)
      expect([...fromSpec].sort()).toEqual([...fromContract].sort())
    })
  )

  it.effect("every operation that takes a body documents the body limit (413) and the length rule (411)", () =>
    Effect.gen(function* () {
      const spec = yield* fetchSpec
      const withBody = operations(spec).filter(({ method }) => method === "post" || method === "put" || method === "patch")
      expect(withBody.length).toBeGreaterThan(10)
      const missing = withBody.flatMap(({ method, operation, path }) =>
        ["411", "413"].filter((status) => !(status in operation.responses)).map((status) => `${method} ${path}: no ${status}`)
      )
      expect(missing).toEqual([])
    })
  )

  it.effect("every operation documents at least one 4xx and a 500", () =>
    Effect.gen(function* () {
      const spec = yield* fetchSpec
      const missing = operations(spec).flatMap(({ path, method, operation }) => {
        const statuses = Object.keys(operation.responses)
        const problems = [
          ...(statuses.some((s) => /^4\d\d$/.test(s)) ? [] : ["no 4xx"]),
          ...(statuses.includes("500") ? [] : ["no 500"])
        ]
        return problems.map((p) => `${method} ${path}: ${p}`)
      })
      expect(missing).toEqual([])
    })
  )

  it.effect("declares a bearer security scheme, required by every /api/v1 operation and by no probe", () =>
    Effect.gen(function* () {
      const spec = yield* fetchSpec
      const bearer = Object.entries(spec.components.securitySchemes).filter(([, s]) => s.type === "http" && s.scheme === "bearer")
      expect(bearer).toHaveLength(1)
      const [name] = bearer[0]!
      const wrong = operations(spec).flatMap(({ path, method, operation }) => {
        const secured = (operation.security ?? []).some((requirement) => name in requirement)
        const shouldBe = path.startsWith("/api/v1/")
        return secured === shouldBe ? [] : [`${method} ${path}: ${secured ? "secured" : "not secured"}`]
      })
      expect(wrong).toEqual([])
      // The ones that need a key also say what happens without one.
      const without401 = operations(spec).filter(({ path, operation }) => path.startsWith("/api/v1/") && !("401" in operation.responses))
      expect(without401.map((o) => `${o.method} ${o.path}`)).toEqual([])
    })
  )

  it.effect("/docs serves the interactive documentation as HTML", () =>
    Effect.gen(function* () {
      const docs = yield* get("/docs")
      expect(docs.status).toBe(200)
      expect(docs.headers["content-type"]).toMatch(/^text\/html/)
      expect(docs.text).toMatch(/<html/i)
      expect(docs.text).toContain("Flowboard API")
    })
  )
})
