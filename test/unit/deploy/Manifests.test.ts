/**
 * The deployment artefacts in deploy/, checked statically: no Docker daemon or Kubernetes
 * cluster exists on the machines this runs on, so nothing here is built or applied. What can be
 * known without them is checked: every file parses; every environment variable is a setting
 * Flowboard knows (the README's configuration table, until the typed description of every
 * setting exists); every probe is a real route on the port it names; drain timings fit inside
 * the grace periods; every command is a real CLI command; resources, security contexts and the
 * image's user, init and health check are there; the dashboard queries documented metrics.
 */
import { HttpApi } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parse, parseAllDocuments } from "yaml"
import { Api } from "../../../src/api/Api.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const read = (path: string) => readFileSync(join(root, path), "utf8")

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
const isObject = (value: Json | undefined): value is { readonly [key: string]: Json } => typeof value === "object" && value !== null && !Array.isArray(value)
const field = (value: Json | undefined, ...path: ReadonlyArray<string | number>): Json | undefined =>
  path.reduce<Json | undefined>((at, key) => {
    if (typeof key === "number") return Array.isArray(at) ? (at as ReadonlyArray<Json>)[key] : undefined
    return isObject(at) ? at[key] : undefined
  }, value)
const list = (value: Json | undefined): ReadonlyArray<Json> => (Array.isArray(value) ? (value as ReadonlyArray<Json>) : [])
const text = (value: Json | undefined): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "")
const yamlFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? yamlFiles(join(dir, entry.name)) : /\.ya?ml$/.test(entry.name) ? [join(dir, entry.name)] : []
  )
const documents = (path: string): ReadonlyArray<Json> => parseAllDocuments(read(path)).map((doc) => doc.toJS() as Json)

// ---- what Flowboard knows -------------------------------------------------------------------

/** Settings in the README's configuration table; `X_*` rows name a family. */
const settings = (() => {
  const names = new Set<string>()
  const families: Array<string> = []
  for (const match of read("README.md").matchAll(/^\| ((?:`[A-Z0-9_*]+`(?: \/ |, )?)+) \|/gm)) {
    for (const [, name] of match[1]!.matchAll(/`([A-Z0-9_*]+)`/g)) {
      if (name!.endsWith("*")) families.push(name!.slice(0, -1))
      else names.add(name!)
    }
  }
  return { names, families }
})()
/** Not Flowboard's: Node's own, read by its libraries. */
const platformVariables = new Set(["NODE_ENV"])
const known = (name: string) => platformVariables.has(name) || settings.names.has(name) || settings.families.some((prefix) => name.startsWith(prefix))

const commands = new Set([...read("src/bin/flowboard.ts").matchAll(/Command\.make\("([a-z]+)", \{/g)].map((m) => m[1]!))

const routes = (() => {
  const found = new Set<string>()
  HttpApi.reflect(Api, { onGroup: () => {}, onEndpoint: ({ endpoint }) => found.add(endpoint.path) })
  return found
})()

const seconds = (value: string | undefined): number => {
  if (value === undefined) return 0
  return Duration.toSeconds(Duration.decode(value.trim() as Duration.DurationInput))
}

// ---- the manifests --------------------------------------------------------------------------

const kubernetes = yamlFiles("deploy/kubernetes/base").filter((path) => !path.endsWith("kustomization.yaml")).flatMap(documents)
const ofKind = (kind: string) => kubernetes.filter((doc) => field(doc, "kind") === kind)
const configMap = ofKind("ConfigMap")[0]
const configured = (name: string): string | undefined => {
  const value = field(configMap, "data", name)
  return typeof value === "string" ? value : undefined
}
const podSpecs = [...ofKind("Deployment"), ...ofKind("Job")].map((doc) => ({ name: text(field(doc, "metadata", "name")), spec: field(doc, "spec", "template", "spec") }))
const containersOf = (spec: Json | undefined) => list(field(spec, "containers"))

const compose = parse(read("deploy/compose.yaml"), { merge: true }) as Json
const services = field(compose, "services")
const dockerfile = read("deploy/Dockerfile")

describe("deploy/", () => {
  it("every YAML file parses, and every JSON file too", () => {
    const files = yamlFiles("deploy")
    expect(files.length).toBeGreaterThan(10)
    for (const path of files) expect(() => documents(path), path).not.toThrow()
    expect(() => JSON.parse(read("deploy/grafana/flowboard.json"))).not.toThrow()
  })

  it("every environment variable given to Flowboard is a setting it knows", () => {
    const given = new Set<string>([
      ...Object.keys(isObject(field(configMap, "data")) ? (field(configMap, "data") as object) : {}),
      ...podSpecs.flatMap(({ spec }) => containersOf(spec).flatMap((c) => list(field(c, "env")).map((e) => text(field(e, "name"))))),
      ...[...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!),
      ...["migrate", "api", "worker"].flatMap((name) => Object.keys(isObject(field(services, name, "environment")) ? (field(services, name, "environment") as object) : {}))
    ])
    expect(given.size).toBeGreaterThan(10)
    expect([...given].filter((name) => !known(name))).toEqual([])
    // Secrets come from a Secret, never from the ConfigMap, and as files (NAME_FILE) in a volume of it.
    expect(["DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"].filter((name) => configured(name) !== undefined)).toEqual([])
    for (const { name, spec } of podSpecs) {
      const secretVolumes = new Set(list(field(spec, "volumes")).filter((v) => field(v, "secret") !== undefined).map((v) => text(field(v, "name"))))
      for (const container of containersOf(spec)) {
        const env = list(field(container, "env"))
        expect(env.filter((e) => ["DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"].includes(text(field(e, "name")))).map((e) => `${name}: ${text(field(e, "name"))}`)).toEqual([])
        const mounts = list(field(container, "volumeMounts")).filter((m) => secretVolumes.has(text(field(m, "name")))).map((m) => text(field(m, "mountPath")))
        const files = env.filter((e) => text(field(e, "name")).endsWith("_FILE")).map((e) => text(field(e, "value")))
        expect(files.length, name).toBeGreaterThan(0)
        expect(files.filter((file) => !mounts.some((mount) => file.startsWith(`${mount}/`))), name).toEqual([])
      }
    }
  })

  it("every command is one the CLI has, behind tini and the compiled launcher", () => {
    expect([...commands].sort()).toEqual(expect.arrayContaining(["migrate", "serve", "start", "worker"]))
    const used = [
      ...[...dockerfile.matchAll(/^CMD \["([a-z]+)"\]/gm)].map((m) => m[1]!),
      ...Object.values(isObject(services) ? services : {}).flatMap((service) => (field(service, "image") === "flowboard:local" ? list(field(service, "command")).map(text) : [])),
      ...podSpecs.flatMap(({ spec }) => containersOf(spec).flatMap((c) => list(field(c, "args")).map(text).slice(0, 1)))
    ]
    expect(used.length).toBeGreaterThan(5)
    expect(used.filter((command) => !commands.has(command))).toEqual([])
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "bin\/flowboard\.mjs"\]$/m)
    expect(existsSync(join(root, "bin/flowboard.mjs"))).toBe(true)
    expect(read("bin/flowboard.mjs")).toContain("FLOWBOARD_COMPILED_ONLY")
  })

  it("the image: two stages, compiled, production dependencies only, a non-root user, a health check on a real route", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2)
    expect(dockerfile).toMatch(/npm run build && npm prune --omit=dev/)
    expect(dockerfile).toMatch(/FLOWBOARD_COMPILED_ONLY=1/)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m)
    expect(routes.has("/health/live")).toBe(true)
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) expect(existsSync(join(root, source!)), source).toBe(true)
    const ignored = read(".dockerignore").split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))
    expect(ignored.filter((entry) => ["src", "bin", "scripts", "layers", "migrations", "package.json", "package-lock.json"].includes(entry))).toEqual([])
  })

  it("every probe is a real route on a port the container listens on, the one Flowboard serves", () => {
    const probes = podSpecs.flatMap(({ name, spec }) =>
      containersOf(spec).flatMap((container) =>
        ["startupProbe", "livenessProbe", "readinessProbe"].map((kind) => {
          const port = field(container, kind, "httpGet", "port")
          const declared = list(field(container, "ports")).find((p) => field(p, "name") === port || field(p, "containerPort") === port)
          return { name, kind, path: text(field(container, kind, "httpGet", "path")), port: Number(field(declared, "containerPort") ?? NaN), args: list(field(container, "args")).map(text) }
        })
      )
    )
    expect(probes.filter((p) => p.name !== "flowboard-migrate")).toHaveLength(6)
    for (const probe of probes.filter((p) => p.name !== "flowboard-migrate")) {
      expect(routes.has(probe.path), `${probe.name} ${probe.kind} ${probe.path}`).toBe(true)
      const served = probe.args[0] === "worker" ? Number(configured("WORKER_PORT")) : 3000
      expect([probe.name, probe.kind, probe.port]).toEqual([probe.name, probe.kind, served])
    }
    for (const service of ["api", "worker"]) {
      const check = list(field(services, service, "healthcheck", "test")).map(text).join(" ")
      expect(check).toMatch(service === "worker" ? /:9464\/health\/ready/ : /:3000\/health\/ready/)
    }
    expect(text(field(services, "worker", "environment", "WORKER_PORT"))).toBe("9464")
  })

  it("drain timings fit in the grace periods", () => {
    const grace = (name: string) => Number(field(podSpecs.find((p) => p.name === name)?.spec, "terminationGracePeriodSeconds"))
    const apiDrain = seconds(configured("DRAIN_READINESS_DELAY")) + seconds(configured("HTTP_DRAIN_TIMEOUT"))
    const workerDrain = seconds(configured("WORKER_DRAIN_TIMEOUT")) + seconds(configured("JOBS_SHUTDOWN_GRACE")) + seconds(configured("WEBHOOK_TIMEOUT")) + 1
    expect(apiDrain).toBe(15)
    expect(grace("flowboard-api")).toBeGreaterThan(apiDrain)
    expect(grace("flowboard-worker")).toBeGreaterThan(workerDrain)
    const composeDrain = seconds(text(field(services, "api", "environment", "DRAIN_READINESS_DELAY"))) + seconds(text(field(services, "api", "environment", "HTTP_DRAIN_TIMEOUT")))
    expect(seconds(text(field(services, "api", "stop_grace_period")).replace(/s$/, " seconds"))).toBeGreaterThan(composeDrain)
    expect(seconds(text(field(services, "worker", "stop_grace_period")).replace(/s$/, " seconds"))).toBeGreaterThan(workerDrain)
  })

  it("every container has requests and a memory limit, runs as non-root with a read-only root and no capabilities", () => {
    const problems = podSpecs.flatMap(({ name, spec }) => [
      ...(field(spec, "securityContext", "runAsNonRoot") === true ? [] : [`${name}: runAsNonRoot`]),
      ...containersOf(spec).flatMap((c) => [
        ...(field(c, "resources", "requests", "cpu") !== undefined && field(c, "resources", "requests", "memory") !== undefined ? [] : [`${name}: requests`]),
        ...(field(c, "resources", "limits", "memory") !== undefined ? [] : [`${name}: memory limit`]),
        ...(field(c, "securityContext", "readOnlyRootFilesystem") === true ? [] : [`${name}: readOnlyRootFilesystem`]),
        ...(field(c, "securityContext", "allowPrivilegeEscalation") === false ? [] : [`${name}: allowPrivilegeEscalation`]),
        ...(list(field(c, "securityContext", "capabilities", "drop")).includes("ALL") ? [] : [`${name}: capabilities`])
      ])
    ])
    expect(problems).toEqual([])
    expect(ofKind("PodDisruptionBudget")).toHaveLength(2)
    expect(ofKind("HorizontalPodAutoscaler")).toHaveLength(1)
    expect(ofKind("NetworkPolicy")).toHaveLength(1)
    expect(ofKind("Job").map((j) => list(field(j, "spec", "template", "spec", "containers", 0, "args")).map(text))).toEqual([["migrate"]])
  })

  it("kustomize: the base lists every manifest, and the overlays patch what the base has", () => {
    const base = parse(read("deploy/kubernetes/base/kustomization.yaml")) as Json
    const listed = list(field(base, "resources")).map(text).sort()
    expect(listed).toEqual(readdirSync(join(root, "deploy/kubernetes/base")).filter((f) => f !== "kustomization.yaml").sort())
    const names = new Set(kubernetes.map((doc) => `${text(field(doc, "kind"))}/${text(field(doc, "metadata", "name"))}`))
    for (const overlay of ["dev", "prod"]) {
      const kustomization = parse(read(`deploy/kubernetes/overlays/${overlay}/kustomization.yaml`)) as Json
      expect(list(field(kustomization, "resources")).map(text)).toEqual(["../../base"])
      for (const patch of list(field(kustomization, "patches"))) {
        const kind = text(field(patch, "target", "kind"))
        const name = text(field(patch, "target", "name"))
        expect([...names].some((n) => n.startsWith(`${kind}/`) && (name === "" || n === `${kind}/${name}`)), `${overlay}: ${kind}/${name}`).toBe(true)
      }
    }
  })

  it("Prometheus loads the alert rules, and the dashboard and the rules query documented metrics only", () => {
    const prometheus = parse(read("deploy/prometheus/prometheus.yml")) as Json
    for (const file of list(field(prometheus, "rule_files")).map(text)) expect(existsSync(join(root, "deploy/prometheus", file)), file).toBe(true)
    const monitoring = read("docs/monitoring.md")
    const documented = new Set([...monitoring.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!))
    const dashboard = JSON.parse(read("deploy/grafana/flowboard.json")) as { readonly panels: ReadonlyArray<{ readonly title: string; readonly targets: ReadonlyArray<{ readonly expr: string }> }> }
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10)
    const functions = new Set(["by", "sum", "max", "rate", "histogram_quantile", "or", "le"])
    const undocumented = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) =>
        [...target.expr.replace(/\{[^}]*\}/g, "").replace(/\bby \([^)]*\)/g, "").matchAll(/\b([a-z]+_[a-z_]+)\b/g)]
          .map((m) => m[1]!)
          .filter((name) => !functions.has(name) && !documented.has(name) && !documented.has(name.replace(/_(bucket|count|sum)$/, "")))
          .map((name) => `${panel.title}: ${name}`)
      )
    )
    expect(undocumented).toEqual([])
    const covered = JSON.stringify(dashboard)
    for (const family of ["http_server_request_duration_seconds", "flowboard_consumer_lag", "flowboard_dead_letters", "flowboard_circuit_state", "flowboard_security_events_total", "db_client_connection_count", "process_resident_memory_bytes", "flowboard_webhook_deliveries_total"]) {
      expect(covered, family).toContain(family)
    }
  })
})
