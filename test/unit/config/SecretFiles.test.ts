import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { withSecretFiles } from "../../../src/config/SecretFiles.js"

const files: Record<string, string> = {
  "/run/secrets/db": "postgres://flowboard:s3cret@db/flowboard\n",
  "/run/secrets/token": "tok\r\n",
  "/run/secrets/empty": "\n"
}
const readFile = (path: string): string => {
  const content = files[path]
  if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" })
  return content
}

describe("secrets from files", () => {
  it("reads NAME_FILE into NAME, dropping one trailing line break, and leaves other settings alone", () => {
    const resolved = withSecretFiles({ DATABASE_URL_FILE: "/run/secrets/db", METRICS_TOKEN_FILE: "/run/secrets/token", PORT: "3000", UNSET: undefined }, readFile)
    expect(resolved).toEqual(Either.right({ DATABASE_URL: "postgres://flowboard:s3cret@db/flowboard", METRICS_TOKEN: "tok", PORT: "3000" }))
  })

  it("reports every mistake at once: both given, a file missing, a file empty", () => {
    const resolved = withSecretFiles(
      { DATABASE_URL: "postgres://x", DATABASE_URL_FILE: "/run/secrets/db", REDIS_URL_FILE: "/run/secrets/missing", METRICS_TOKEN_FILE: "/run/secrets/empty" },
      readFile
    )
    expect(resolved).toEqual(Either.left([
      "DATABASE_URL and DATABASE_URL_FILE are both set: give one",
      "REDIS_URL_FILE: cannot read /run/secrets/missing (ENOENT)",
      "METRICS_TOKEN_FILE: /run/secrets/empty is empty"
    ]))
  })

  it("takes _FILE only for secrets: PORT_FILE is nobody's business here", () => {
    expect(withSecretFiles({ PORT_FILE: "/run/secrets/db" }, readFile)).toEqual(Either.right({ PORT_FILE: "/run/secrets/db" }))
  })
})
