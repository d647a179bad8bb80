import pkg from "../../package.json" with { type: "json" }

/** What the process calls itself in traces, logs and `/health`. */
export const SERVICE_NAME = "flowboard"
export const SERVICE_VERSION: string = pkg.version
