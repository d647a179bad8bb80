import { HttpApi, HttpApiSchema } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Option, Schema, type SchemaAST } from "effect"
import { Api } from "../../../src/api/Api.js"
import { LiveAuthentication } from "../../../src/api/LiveEventsApi.js"

/**
 * What the contract declares for each operation, read from `Api` with `HttpApi.reflect`: the
 * same walk that builds the served OpenAPI document and the router. Statuses include the
 * API-level errors (`.addError` in src/api/Api.ts), the framework's own 400 and the
 * authentication middleware's 401 and 403.
 */
export type AnySchema = Schema.Schema<unknown, unknown>

/** A response the contract declares: its content type, and its body schema (none: no body). */
export interface Declared {
  readonly contentType: string
  readonly schema: Option.Option<AnySchema>
}

export interface Operation {
  /** `group.endpoint`, e.g. `tasks.createTask`. */
  readonly key: string
  readonly method: HttpMethod
  /** The router's template: `/api/v1/tasks/:taskId`. */
  readonly path: string
  /** The OpenAPI document's key for the same path: `/api/v1/tasks/{taskId}`. */
  readonly docPath: string
  /** Path parameter names, in order. */
  readonly params: ReadonlyArray<string>
  readonly authenticated: boolean
  /** Accepts the key as `?access_token=` too (the live stream). */
  readonly tokenInQuery: boolean
  readonly urlParams: Option.Option<AnySchema>
  readonly headers: Option.Option<AnySchema>
  readonly payload: Option.Option<AnySchema>
  /** The body is `multipart/form-data` (an upload): generated as such, not from the schema. */
  readonly multipart: boolean
  readonly responses: ReadonlyMap<number, Declared>
}

const asSchema = (ast: SchemaAST.AST): AnySchema => Schema.make<unknown, unknown, never>(ast)
const fromOption = (schema: Option.Option<{ readonly ast: SchemaAST.AST }>) => Option.map(schema, (s) => asSchema(s.ast))

const declared = (members: ReadonlyMap<number, { readonly ast: Option.Option<SchemaAST.AST> }>, into: Map<number, Declared>) => {
  for (const [status, { ast }] of members) {
    // An empty-decodeable schema (NoContent) is documented without a body, as OpenApi.js does.
    const body = Option.filter(ast, (a) => !HttpApiSchema.getEmptyDecodeable(a))
    const contentType = Option.match(body, { onNone: () => "", onSome: (a) => HttpApiSchema.getEncoding(a).contentType })
    into.set(status, { contentType, schema: Option.map(body, asSchema) })
  }
}

let cached: ReadonlyArray<Operation> | undefined

export const operations = (): ReadonlyArray<Operation> => {
  if (cached !== undefined) return cached
  const found: Array<Operation> = []
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, errors, group, middleware, successes }) => {
      const responses = new Map<number, Declared>()
      declared(successes, responses)
      declared(errors, responses)
      found.push({
        key: `${group.identifier}.${endpoint.name}`,
        method: endpoint.method,
        path: endpoint.path,
        docPath: endpoint.path.replace(/:(\w+)/g, "{$1}"),
        params: Array.from(endpoint.path.matchAll(/:(\w+)/g), (m) => m[1]!),
        authenticated: middleware.size > 0,
        tokenInQuery: [...middleware].some((m) => m.key === LiveAuthentication.key),
        urlParams: fromOption(endpoint.urlParamsSchema),
        headers: fromOption(endpoint.headersSchema),
        payload: fromOption(endpoint.payloadSchema),
        multipart: Option.exists(endpoint.payloadSchema, (schema) => HttpApiSchema.getMultipartStream(schema.ast) !== undefined),
        responses
      })
    }
  })
  cached = found
  return found
}

/** The methods the contract serves at each path template: what a 405's `Allow` should list. */
export const methodsByPath = (): ReadonlyMap<string, ReadonlyArray<HttpMethod>> => {
  const byPath = new Map<string, Array<HttpMethod>>()
  for (const op of operations()) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op.method])
  return byPath
}
