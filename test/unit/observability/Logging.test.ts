import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Option, Redacted } from "effect"
import { chooseFormat, jsonFormatter, prettyFormatter } from "../../../src/observability/Logging.js"
import { redactString } from "../../../src/observability/Redaction.js"
import { withRequest } from "../../../src/observability/RequestContext.js"
import { SERVICE_VERSION } from "../../../src/observability/ServiceInfo.js"

const API_KEY = `fb_0123456789ab_${"S".repeat(40)}x-_`
const SECRET_PART = "S".repeat(40)

/** Runs `effect` with the default logger replaced by `formatter`, returning what it wrote. */
const capture = <A, E>(formatter: Logger.Logger<unknown, string>, effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const logger = Logger.make<unknown, void>((options) => {
      lines.push(formatter.log(options))
    })
    yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return lines
  })

const leaky = Effect.gen(function* () {
  yield* Effect.logInfo(`calling with ${API_KEY}`, { headers: { Authorization: `Bearer ${API_KEY}`, cookie: "sid=abc123" } })
  yield* Effect.logWarning("connecting to postgres://flowboard:hunter2@db:5432/flowboard").pipe(
    Effect.annotateLogs({ password: "hunter2", token: "tok-123", apiKey: API_KEY, key: API_KEY, databaseUrl: Redacted.make("postgres://x:y@z") })
  )
  yield* Effect.logError("login failed", new Error(`bad key ${API_KEY}`)).pipe(Effect.annotateLogs("user", { name: "ann", clientSecret: "s3cr3t" }))
  yield* Effect.logError("request failed").pipe(Effect.zipRight(Effect.fail(new Error(`authorization: Bearer ${API_KEY}`))), Effect.catchAllCause(Effect.logError))
})

const SECRETS = [API_KEY, SECRET_PART, "hunter2", "tok-123", "sid=abc123", "s3cr3t", "postgres://x:y@z"]

describe("Logging", () => {
  it.effect("writes one JSON object per line with time, level, message, service, version, correlation and trace ids, and annotations", () =>
    Effect.gen(function* () {
      const lines = yield* capture(
        jsonFormatter,
        Effect.logInfo("task moved").pipe(
          Effect.annotateLogs({ taskId: "t-1", projectKey: "FLOW", keyId: "k-1" }),
          Effect.withSpan("TaskService.move"),
          withRequest({ correlationId: "req-12345678", traceparent: null, causationId: null })
        )
      )
      expect(lines).toHaveLength(1)
      expect(lines[0]).not.toContain("\n")
      const record: Record<string, unknown> = JSON.parse(lines[0]!)
      expect(record).toMatchObject({
        level: "info",
        message: "task moved",
        service: "flowboard",
        version: SERVICE_VERSION,
        correlationId: "req-12345678",
        taskId: "t-1",
        projectKey: "FLOW",
        keyId: "k-1"
      })
      expect(new Date(String(record["time"])).toISOString()).toBe(record["time"])
      expect(record["traceId"]).toMatch(/^[0-9a-f]{32}$/)
      expect(record["spanId"]).toMatch(/^[0-9a-f]{16}$/)
    }))

  it.effect("never writes a secret fed through messages, annotations, errors and causes, in either format", () =>
    Effect.gen(function* () {
      for (const formatter of [jsonFormatter, prettyFormatter]) {
        const output = (yield* capture(formatter, leaky)).join("\n")
        expect(output).toContain("[REDACTED]")
        expect(output).toContain("login failed")
        for (const secret of SECRETS) expect(output).not.toContain(secret)
      }
    }))

  it("masks keys, credentials and assignments inside free text, and leaves the rest alone", () => {
    expect(redactString(`key=${API_KEY} ok`)).toBe("key=[REDACTED] ok")
    expect(redactString("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic [REDACTED]")
    expect(redactString("redis://:pw@host and https://u:p@h/x")).toBe("redis://:pw@host and https://u:[REDACTED]@h/x")
    expect(redactString("SELECT * FROM tasks WHERE id = $1")).toBe("SELECT * FROM tasks WHERE id = $1")
  })

  it("chooses json in production or without a terminal, pretty in a developer's shell, unless told", () => {
    expect(chooseFormat(Option.none(), "production", true)).toBe("json")
    expect(chooseFormat(Option.none(), "development", false)).toBe("json")
    expect(chooseFormat(Option.none(), "development", true)).toBe("pretty")
    expect(chooseFormat(Option.some("pretty"), "production", false)).toBe("pretty")
  })
})
