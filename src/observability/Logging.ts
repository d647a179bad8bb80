/**
 * The process's logger. Every line is one record: `time`, `level`, `message`, `service`,
 * `version`, `correlationId`, `traceId`/`spanId` (of the current span), the annotations in
 * scope, and `error` (the pretty cause) when there is one — all through `Redaction` first.
 *
 * `LOG_FORMAT=json` writes each record as one JSON object per line (the default under
 * `NODE_ENV=production` or when stdout is not a terminal); `pretty` writes it for humans.
 * `LOG_LEVEL` (`trace`, `debug`, `info`, `warn`, `error`, `fatal`, `off`) sets the minimum
 * level, `info` by default.
 */
import { Array as Arr, Cause, Config, type ConfigError, Context, Effect, FiberRef, FiberRefs, HashMap, HashSet, Layer, List, Logger, LogLevel, Option, Tracer } from "effect"
import { redact, redactString, isSecretField, MASK } from "./Redaction.js"
import { CurrentRequest } from "./RequestContext.js"
import { SERVICE_NAME, SERVICE_VERSION } from "./ServiceInfo.js"

export type LogFormat = "json" | "pretty"

export const LoggingConfig = Config.all({
  format: Config.option(Config.literal("json", "pretty")("LOG_FORMAT")),
  level: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  nodeEnv: Config.string("NODE_ENV").pipe(Config.withDefault("development"))
})

/** json in production or when nobody is watching a terminal; pretty for a developer's shell. */
export const chooseFormat = (explicit: Option.Option<LogFormat>, nodeEnv: string, isTTY: boolean): LogFormat =>
  Option.getOrElse(explicit, () => (nodeEnv === "production" || !isTTY ? "json" : "pretty"))

const redactAnnotation = (key: string, value: unknown) => (isSecretField(key) ? MASK : redact(value))

/** One log event as the fields written out, secrets already masked. */
export const toRecord = (options: Logger.Logger.Options<unknown>): Record<string, unknown> => {
  const messages = Arr.ensure(options.message).map(redact)
  const [first, ...rest] = messages
  const message = typeof first === "string" ? first : first === undefined ? "" : JSON.stringify(first)
  const span = Option.flatMap(FiberRefs.get(options.context, FiberRef.currentContext), Context.getOption(Tracer.ParentSpan))
  const request = FiberRefs.getOrDefault(options.context, CurrentRequest)
  const record: Record<string, unknown> = {
    time: options.date.toISOString(),
    level: options.logLevel.label.toLowerCase(),
    message,
    service: SERVICE_NAME,
    version: SERVICE_VERSION
  }
  if (rest.length > 0) record["details"] = rest
  // Sorted: the same fields come out in the same order on every line.
  for (const [key, value] of [...options.annotations].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!(key in record)) record[key] = redactAnnotation(key, value)
  }
  if (request.correlationId !== null) record["correlationId"] = request.correlationId
  if (Option.isSome(span)) {
    record["traceId"] = span.value.traceId
    record["spanId"] = span.value.spanId
  }
  if (List.isCons(options.spans)) {
    const now = options.date.getTime()
    record["durationsMs"] = Object.fromEntries([...options.spans].map((s) => [s.label, now - s.startTime]))
  }
  if (!Cause.isEmpty(options.cause)) {
    const error = redactString(Cause.pretty(options.cause, { renderErrorCause: true }))
    record["error"] = error
    // `Effect.logError(cause)` alone: the cause's first line is the message.
    if (message === "") record["message"] = error.split("\n", 1)[0]
  }
  return record
}

const stringify = (record: Record<string, unknown>): string => {
  try {
    return JSON.stringify(record)
  } catch {
    return JSON.stringify({ time: record["time"], level: record["level"], message: "unserialisable log record" })
  }
}

/** One JSON object per line. */
export const jsonFormatter: Logger.Logger<unknown, string> = Logger.make((options) => stringify(toRecord(options)))

const RESERVED = new Set(["time", "level", "message", "error"])

/** `12:00:00.000 INFO  message key=value …`, the error indented below. */
export const prettyFormatter: Logger.Logger<unknown, string> = Logger.make((options) => {
  const record = toRecord(options)
  const fields = Object.entries(record)
    .filter(([key]) => !RESERVED.has(key) && key !== "service" && key !== "version")
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
  const time = options.date.toISOString().slice(11, 23)
  const head = `${time} ${options.logLevel.label.padEnd(5)} ${String(record["message"])}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}`
  const error = record["error"]
  return typeof error === "string" ? `${head}\n  ${error.split("\n").join("\n  ")}` : head
})

/**
 * Effect also copies log events onto the current span (they travel with exported traces):
 * the same masking applies there.
 */
const redactedTracerLogger = Logger.mapInputOptions(Logger.tracerLogger, (options) => ({
  ...options,
  message: Arr.ensure(options.message).map(redact),
  annotations: HashMap.map(options.annotations, (value, key) => redactAnnotation(key, value))
}))

// Constants, so installing the layer twice (CLI and server) still leaves one logger in the set.
const jsonConsole = Logger.withConsoleLog(jsonFormatter)
const prettyConsole = Logger.withConsoleLog(prettyFormatter)

/**
 * Replaces Effect's console loggers — the default one, and the pretty one `NodeRuntime.runMain`
 * swaps in — with the formatter for `format`, at `level`; span events get the masking too.
 */
export const loggerLayer = (format: LogFormat, level: LogLevel.LogLevel): Layer.Layer<never> => {
  const console = format === "json" ? jsonConsole : prettyConsole
  return Layer.merge(
    Layer.scopedDiscard(
      Effect.locallyScopedWith(FiberRef.currentLoggers, (loggers) =>
        loggers.pipe(
          HashSet.remove(Logger.defaultLogger),
          HashSet.remove(Logger.prettyLoggerDefault),
          HashSet.remove(Logger.tracerLogger),
          HashSet.remove(format === "json" ? prettyConsole : jsonConsole),
          HashSet.add(console),
          HashSet.add(redactedTracerLogger)
        )
      )
    ),
    Logger.minimumLogLevel(level)
  )
}

/** The logger configured from the environment; provide it beneath everything that logs. */
export const LoggingLive: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(LoggingConfig, (config) =>
    loggerLayer(chooseFormat(config.format, config.nodeEnv, process.stdout.isTTY === true), config.level)
  )
)
