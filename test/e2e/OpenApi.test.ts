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
  "/api/v1/tasks/{taskId}/comments",
  "/api/v1/tasks/{taskId}/attachments",
  "/api/v1/tasks/{taskId}/attachments/{attachmentId}",
  "/api/v1/tasks/{taskId}/attachments/{attachmentId}/content"
]

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const Parameter = Schema.Struct({ in: Schema.String, name: Schema.String, schema: Schema.Unknown })
const RawOperation = Schema.Struct({
  parameters: Schema.optional(Schema.Array(Parameter)),
  requestBody: Schema.optional(Schema.Struct({ content: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Struct({ schema: Schema.Unknown }) })) }))
})
/** The parts of the document that the schema checks read: components and raw operations. */
const Components = Schema.Struct({
  paths: Schema.Record({ key: Schema.String, value: Schema.partial(Schema.Record({ key: Schema.Literal(...METHODS), value: RawOperation })) }),
  components: Schema.Struct({ schemas: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
})

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

  it.effect("documents the errors the server sends: every 400 is ValidationError with { path, message } issues, never the framework's decode error", () =>
    Effect.gen(function* () {
      const raw = (yield* get("/api/openapi.json")).text
      expect(raw).not.toContain("HttpApiDecodeError")
      const spec = yield* fetchSpec
      const wrong = operations(spec).flatMap(({ path, method, operation }) => {
        const bad = JSON.stringify(operation.responses["400"] ?? null)
        return bad.includes("#/components/schemas/ValidationError") ? [] : [`${method} ${path}: 400 is ${bad}`]
      })
      expect(wrong).toEqual([])
      const schemas = decodeBody(Components, yield* get("/api/openapi.json")).components.schemas
      expect(schemas["FieldIssue"]).toEqual({
        type: "object",
        required: ["path", "message"],
        properties: {
          path: { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } },
          message: { type: "string" }
        },
        additionalProperties: false,
        description: "One wrong field: where it is (`[\"labels\", 2]`) and what is wrong with it."
      })
      // Every operation that takes a body says what happens to one that is not JSON.
      const no415 = operations(spec).filter(({ method, operation }) => ["post", "put", "patch"].includes(method) && !("415" in operation.responses))
      expect(no415.map((o) => `${o.method} ${o.path}`)).toEqual([])
    })
  )

  it.effect("states every string limit the server applies: each request string is bounded and refuses U+0000 and lone surrogates by its own patterns", () =>
    Effect.gen(function* () {
      const document = decodeBody(Components, yield* get("/api/openapi.json"))
      const spec = yield* fetchSpec
      const resolve = (schema: unknown): unknown => {
        const ref = isObject(schema) && typeof schema["$ref"] === "string" ? schema["$ref"].replace("#/components/schemas/", "") : undefined
        return ref === undefined ? schema : resolve(document.components.schemas[ref])
      }
      // Every string schema reachable from a request body or parameter, with where it sits.
      const strings: Array<{ readonly where: string; readonly schema: Record<string, unknown> }> = []
      const walk = (where: string, node: unknown): void => {
        const schema = resolve(node)
        if (!isObject(schema)) return
        if (schema["type"] === "string" && schema["enum"] === undefined) strings.push({ where, schema })
        for (const [key, child] of Object.entries(schema)) {
          if (key === "properties" && isObject(child)) Object.entries(child).forEach(([name, sub]) => walk(`${where}.${name}`, sub))
          else if (key === "items" || key === "anyOf" || key === "oneOf" || key === "allOf") (Array.isArray(child) ? child : [child]).forEach((sub) => walk(where, sub))
        }
      }
      for (const { path, method, operation } of operations(spec)) {
        const raw = document.paths[path]?.[method]
        walk(`${method} ${path} body`, raw?.requestBody?.content?.["application/json"]?.schema)
        for (const parameter of raw?.parameters ?? []) walk(`${method} ${path} ${parameter.in} ${parameter.name}`, parameter.schema)
        void operation
      }
      expect(strings.length).toBeGreaterThan(50)
      const patterns = (schema: Record<string, unknown>): ReadonlyArray<RegExp> => [
        ...(typeof schema["pattern"] === "string" ? [new RegExp(schema["pattern"], "u")] : []),
        ...(Array.isArray(schema["allOf"]) ? schema["allOf"].flatMap((sub) => (isObject(sub) ? patterns(sub) : [])) : [])
      ]
      // A length limit, a UUID, or a whole-string pattern without an open-ended repeat.
      const bounded = (schema: Record<string, unknown>) =>
        typeof schema["maxLength"] === "number" ||
        schema["format"] === "uuid" ||
        patterns(schema).some((p) => p.source.startsWith("^") && p.source.endsWith("$") && !/[*+]|\{\d+,\}/.test(p.source.replace(/\[[^\]]*\]/g, "")))
      const refuses = (schema: Record<string, unknown>, value: string) =>
        schema["format"] === "uuid" || patterns(schema).some((pattern) => !pattern.test(value))
      const loose = strings.flatMap(({ where, schema }) => [
        ...(bounded(schema) ? [] : [`${where}: unbounded`]),
        ...(refuses(schema, "a\u0000b") ? [] : [`${where}: admits U+0000`]),
        ...(refuses(schema, "a\ud800b") ? [] : [`${where}: admits a lone surrogate`])
      ])
      expect(loose).toEqual([])
    })
  )

  it.effect("documents the upload as one multipart part `file` (binary), its refusals, and the download as bytes", () =>
    Effect.gen(function* () {
      const document: unknown = JSON.parse((yield* get("/api/openapi.json")).text)
      const at = (...keys: ReadonlyArray<string>): unknown => keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document)
      const upload = ["paths", "/api/v1/tasks/{taskId}/attachments", "post"]
      expect(Object.keys(at(...upload, "requestBody", "content") ?? {})).toEqual(["multipart/form-data"])
      expect(at(...upload, "requestBody", "content", "multipart/form-data", "schema", "properties", "file")).toMatchObject({ type: "string", format: "binary" })
      expect(at(...upload, "requestBody", "content", "multipart/form-data", "schema", "required")).toEqual(["file"])
      const refusals = Object.keys(at(...upload, "responses") ?? {})
      expect(["201", "400", "403", "404", "409", "411", "413", "415"].filter((status) => !refusals.includes(status))).toEqual([])
      expect(at(...upload, "responses", "409", "content", "application/json", "schema")).toEqual({ $ref: "#/components/schemas/AttachmentQuotaExceeded" })
      const download = ["paths", "/api/v1/tasks/{taskId}/attachments/{attachmentId}/content", "get", "responses", "200", "content"]
      expect(at(...download, "application/octet-stream", "schema")).toMatchObject({ type: "string", format: "binary" })
      expect(JSON.stringify(at(...download))).toContain("default-src 'none'; sandbox")
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
