import { HttpApi, HttpApiSchema, type HttpServerRequest } from "@effect/platform"
import { Option, type Tracer } from "effect"
import { Api } from "../api/Api.js"

/**
 * The route a request matched, as its template (`/api/v1/projects/:projectId`): the only form
 * of a path fit for a metric label or an access log field, since raw paths carry ids.
 *
 * The router itself names the matched route on the request's server span (`http.route`), so
 * that is asked first. Requests without a server span (probes, scrapes, the dashboard are not
 * traced) are matched against the API's endpoints and the few plain routes; whatever matches
 * nothing is `unmatched`, so the label stays bounded.
 */
export const UNMATCHED = "unmatched"

/** Plain router routes outside the `HttpApi` contract. */
const PLAIN_ROUTES: ReadonlyArray<string> = ["/metrics", "/docs", "/api/openapi.json", "/dashboard", "/health"]

interface Template {
  readonly method: string
  readonly path: string
  readonly segments: ReadonlyArray<string>
  readonly params: number
  /** The operation takes a JSON body. */
  readonly payload: boolean
  /** The operation takes a `multipart/form-data` body (an upload), streamed by its handler. */
  readonly multipart: boolean
}

const compile = (method: string, path: string, payload = false, multipart = false): Template => {
  const segments = path.split("/").filter((s) => s !== "")
  return { method, path, segments, params: segments.filter((s) => s.startsWith(":")).length, payload: payload && !multipart, multipart }
}

let templates: ReadonlyArray<Template> | undefined

/** Every endpoint of the API plus the plain routes; static segments win over parameters. */
const allTemplates = (): ReadonlyArray<Template> => {
  if (templates === undefined) {
    const found: Array<Template> = PLAIN_ROUTES.map((path) => compile("*", path))
    HttpApi.reflect(Api, {
      onGroup: () => {},
      onEndpoint: ({ endpoint }) => {
        // A GET's "payload" is its query string; only a body-carrying method takes a JSON body.
        const multipart = Option.exists(endpoint.payloadSchema, (schema) => HttpApiSchema.getMultipartStream(schema.ast) !== undefined)
        found.push(compile(endpoint.method, endpoint.path, Option.isSome(endpoint.payloadSchema) && endpoint.method !== "GET", multipart))
      }
    })
    templates = found.sort((a, b) => a.params - b.params)
  }
  return templates
}

const matches = (template: Template, segments: ReadonlyArray<string>) =>
  template.segments.length === segments.length &&
  template.segments.every((s, i) => s.startsWith(":") ? segments[i] !== "" : s === segments[i])

/** The template of `method path` among the known routes, if any. */
export const matchTemplate = (method: string, pathname: string): Option.Option<string> => {
  const segments = pathname.split("/").filter((s) => s !== "")
  const wanted = method === "HEAD" ? ["HEAD", "GET", "*"] : [method, "*"]
  const found = allTemplates().find((t) => wanted.includes(t.method) && matches(t, segments))
  return Option.map(Option.fromNullable(found), (t) => t.path)
}

export interface RouteMatch {
  /** The operation `method path` names, if the API has one; `params` are its path parameters as sent. */
  readonly operation: Option.Option<{
    readonly path: string
    readonly payload: boolean
    readonly multipart: boolean
    readonly params: ReadonlyArray<readonly [name: string, raw: string]>
  }>
  /** Every method the API takes on this path (`HEAD` wherever `GET`); empty for an unknown path. */
  readonly allowed: ReadonlyArray<string>
}

/** What the API offers at a path: the operation for this method, and the methods it takes there. */
export const matchOperation = (method: string, pathname: string): RouteMatch => {
  const segments = pathname.split("/").filter((s) => s !== "")
  const matching = allTemplates().filter((t) => t.method !== "*" && matches(t, segments))
  // The most specific templates name the resource: `/admin/dead-letters/replay` is the replay
  // action (POST), not a dead letter whose id is "replay", so a GET of it is a 405.
  const fewest = Math.min(...matching.map((t) => t.params))
  const atPath = matching.filter((t) => t.params === fewest)
  const wanted = method === "HEAD" ? "GET" : method
  const found = atPath.find((t) => t.method === wanted)
  const methods = new Set(atPath.map((t) => t.method))
  if (methods.has("GET")) methods.add("HEAD")
  return {
    operation: Option.map(Option.fromNullable(found), (t) => ({
      path: t.path,
      payload: t.payload,
      multipart: t.multipart,
      params: t.segments.flatMap((s, i) => (s.startsWith(":") ? [[s.slice(1), segments[i]!] as const] : []))
    })),
    allowed: [...methods].sort()
  }
}

/**
 * The path the client asked for, before any rewriting. A Node server gives it as it was sent
 * (`/api/v1/me?x`); a server fed web `Request`s gives the absolute URL (`http://host/api/v1/me?x`).
 */
export const pathnameOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const original = request.originalUrl
  const url = original.startsWith("/") ? original : original.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "")
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/** The route template of a request, from its server span when there is one, else by matching. */
export const routeTemplate = (request: HttpServerRequest.HttpServerRequest, serverSpan: Option.Option<Tracer.Span>): string => {
  const fromSpan = Option.flatMap(serverSpan, (span) => Option.fromNullable(span.attributes.get("http.route")))
  if (Option.isSome(fromSpan) && typeof fromSpan.value === "string") return fromSpan.value
  return Option.getOrElse(matchTemplate(request.method, pathnameOf(request)), () => UNMATCHED)
}
