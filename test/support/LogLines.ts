import { Context, Effect, Layer, Logger } from "effect"
import { jsonFormatter } from "../../src/observability/Logging.js"

/** Every line the application logged, as the production JSON logger writes it. */
export class LogLines extends Context.Tag("test/LogLines")<LogLines, Array<string>>() {}

/** Replaces the default logger with one that keeps each line in `LogLines`. */
export const CaptureLogs = Layer.unwrapEffect(
  Effect.sync(() => {
    const lines: Array<string> = []
    const capture = Logger.make<unknown, void>((options) => {
      lines.push(jsonFormatter.log(options))
    })
    return Layer.merge(Layer.succeed(LogLines, lines), Logger.replace(Logger.defaultLogger, capture))
  })
)

/** The access lines among them, parsed. */
export const accessRecords = (lines: ReadonlyArray<string>): ReadonlyArray<Record<string, unknown>> =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record["kind"] === "access")
