/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the server's time went during given
 * windows (the measured rounds of a scenario): self time per category and per function, per
 * request. Sample timestamps are V8's monotonic clock, the one `process.hrtime` reads on Linux,
 * so the bench's round windows select the samples taken while that scenario's load ran.
 */
import { readFileSync } from "node:fs"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame & { readonly columnNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const isCpuProfile = (u: unknown): u is CpuProfile =>
  typeof u === "object" && u !== null && "nodes" in u && "samples" in u && "timeDeltas" in u && "startTime" in u

export const readProfile = (file: string): CpuProfile => {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"))
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`)
  return parsed
}

const socketWrites = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "writeAsciiString", "writeGeneric", "writevGeneric", "handleWriteReq", "_writeGeneric", "_writev", "_write", "onWriteComplete", "afterWriteDispatched"])

/** Effect's span machinery, wherever it lives; `functionWithSpan` (each `Effect.fn` call) and `addSpanStackTrace` (each `withSpan`) capture a call-site `new Error()`. */
const spanFunctions = new Set(["functionWithSpan", "addSpanStackTrace", "useSpan", "makeSpan", "withParentSpan", "withSpan", "unsafeMakeSpan", "filterDisablePropagation", "spanToTrace"])

/** The part of the stack a function belongs to: the question is which layer to cut. */
export const categoryOf = ({ functionName, url }: CallFrame): string => {
  if (functionName === "(garbage collector)") return "garbage collection"
  if (functionName === "(idle)") return "(idle)"
  if (functionName === "(program)") return "V8/native outside JS (program)"
  if (functionName === "(root)") return "(root)"
  if (url.includes("/src/observability/Logging") || url.includes("/src/http/AccessLog") || /\/effect\/dist\/esm\/internal\/logger/.test(url)) return "logging"
  if (url.includes("/src/observability/Tracing") || url.includes("@opentelemetry") || url.includes("@effect/opentelemetry") || /\/effect\/dist\/esm\/internal\/tracer\.js/.test(url) || (url.includes("/node_modules/effect/") && spanFunctions.has(functionName))) return "tracing/spans"
  if (url.includes("/src/observability/") || /\/effect\/dist\/esm\/internal\/metric/.test(url)) return "metrics & observability"
  if (/\/effect\/dist\/esm\/(internal\/schema|Schema\.js|ParseResult\.js|SchemaAST\.js)/.test(url)) return "schema decode/encode"
  if (url.includes("/@effect/sql") || url.includes("/node_modules/pg") || url.includes("/node_modules/postgres-")) return "SQL client"
  if (url.includes("/@effect/platform")) return "Effect HTTP platform"
  if (url.includes("/node_modules/effect/")) return "Effect runtime"
  if (url.includes("/src/") || url.includes("/layers/")) return "Flowboard code"
  if (url.startsWith("node:net") || url.includes("stream_base_commons") || socketWrites.has(functionName)) return "socket I/O"
  if (url.startsWith("node:_http") || url.startsWith("node:http")) return "node http"
  if (url.startsWith("node:")) return "node core"
  if (url === "") return functionName.startsWith("JSON") || functionName === "stringify" || functionName === "parse" ? "JSON" : "native/builtins"
  return "other JS"
}

export interface Breakdown {
  readonly sampledMs: number
  readonly byCategory: ReadonlyArray<readonly [string, number]>
  readonly byFunction: ReadonlyArray<readonly [string, number]>
  /**
   * Time (self and what it called) by the innermost Flowboard source file on the stack, up to the
   * nearest fiber loop: code Flowboard calls directly, as opposed to effects it built that the
   * runtime interprets later (those count as the fiber loop's).
   */
  readonly bySourceFile: ReadonlyArray<readonly [string, number]>
}

const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/node_modules\//, "").replace(/^file:\/\/.*?\/(src|layers|test)\//, "$1/")

/** Self time (ms) in the given windows, by category and by function, largest first. */
export const breakdown = (profile: CpuProfile, windows: ReadonlyArray<readonly [number, number]>): Breakdown => {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const ownFile = new Map<number, string>()
  const innermostOwn = (id: number): string => {
    const known = ownFile.get(id)
    if (known !== undefined) return known
    const frame = nodes.get(id)
    const url = frame?.url ?? ""
    const match = /\/((?:src|layers)\/.*)$/.exec(url)
    const parent = parents.get(id)
    // The fiber loop runs each instruction inside the tracer's `context` (which Flowboard's tracer
    // wrapper passes through): a Flowboard frame above it only scheduled the fiber, not the work.
    const loop = (frame?.functionName === "runLoop" || frame?.functionName === "context") && url.includes("/node_modules/")
    const file = match?.[1] ?? (loop ? "(effects run by the fiber loop, no Flowboard frame)" : parent === undefined ? "(no Flowboard frame on the stack)" : innermostOwn(parent))
    ownFile.set(id, file)
    return file
  }
  const files = new Map<string, number>()
  const categories = new Map<string, number>()
  const functions = new Map<string, number>()
  let at = profile.startTime
  let sampled = 0
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    const next = i + 1 < profile.samples.length ? at + (profile.timeDeltas[i + 1] ?? 0) : profile.endTime
    if (!windows.some(([from, to]) => at >= from && at < to)) continue
    const frame = nodes.get(profile.samples[i] ?? -1)
    if (frame === undefined) continue
    const ms = (next - at) / 1000
    const category = categoryOf(frame)
    categories.set(category, (categories.get(category) ?? 0) + ms)
    if (category === "(idle)") continue
    sampled += ms
    const file = innermostOwn(profile.samples[i] ?? -1)
    files.set(file, (files.get(file) ?? 0) + ms)
    const name = `${frame.functionName === "" ? "(anonymous)" : frame.functionName} ${shortUrl(frame.url)}${frame.url === "" ? "" : `:${frame.lineNumber + 1}:${frame.columnNumber + 1}`}`
    functions.set(name, (functions.get(name) ?? 0) + ms)
  }
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1])
  return { sampledMs: sampled, byCategory: sorted(categories), byFunction: sorted(functions), bySourceFile: sorted(files) }
}

/** Windows of the measured rounds per scenario, with their request counts, saved beside the profile. */
export interface Windows {
  readonly [scenario: string]: { readonly windows: ReadonlyArray<readonly [number, number]>; readonly requests: number }
}

const ms = (value: number, requests: number) => `${(value / requests).toFixed(3).padStart(7)} ms/req`

/** The breakdown of each scenario's rounds, per request. */
export const printBreakdowns = (file: string, windows: Windows, top = 25): void => {
  const profile = readProfile(file)
  for (const [scenario, { requests, windows: spans }] of Object.entries(windows)) {
    const { byCategory, byFunction, bySourceFile, sampledMs } = breakdown(profile, spans)
    const idle = byCategory.find(([category]) => category === "(idle)")?.[1] ?? 0
    console.log(`\nprofile of ${scenario} (${file}): ${(sampledMs / requests).toFixed(3)} ms of CPU sampled per request over ${requests} requests (idle ${(idle / requests).toFixed(3)} ms/req)`)
    console.log("  self time by category:")
    for (const [category, value] of byCategory) {
      if (category !== "(idle)") console.log(`    ${category.padEnd(34)}${ms(value, requests)} ${((value / sampledMs) * 100).toFixed(1).padStart(5)} %`)
    }
    console.log("  time by the innermost Flowboard file on the stack below the fiber loop (inclusive of library code it called):")
    for (const [name, value] of bySourceFile.slice(0, 12)) console.log(`    ${name.padEnd(48)}${ms(value, requests)} ${((value / sampledMs) * 100).toFixed(1).padStart(5)} %`)
    console.log(`  top ${top} functions by self time:`)
    for (const [name, value] of byFunction.slice(0, top)) console.log(`    ${ms(value, requests)} ${((value / sampledMs) * 100).toFixed(1).padStart(5)} %  ${name}`)
  }
}
