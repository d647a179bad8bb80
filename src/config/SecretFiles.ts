/**
 * Secrets from files (Docker and Kubernetes secrets): every secret setting may be given as
 * `NAME_FILE`, the path of a file holding it, instead of `NAME`. The file is read once, at the
 * edge, before any setting is: the rest of the code reads `NAME` through `Config` as ever.
 *
 * Giving both is an error (which one would win is a guess an operator should not have to make),
 * and so is a file that cannot be read or is empty; every such mistake is reported at once. One
 * trailing line break is dropped (`echo secret > file` writes one); anything else is kept.
 */
import { Either } from "effect"

/** The settings that are secrets: read with `Config.redacted`, never logged. */
export const SECRET_SETTINGS = ["DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"] as const

export type Environment = Readonly<Record<string, string | undefined>>

/** The environment with each `NAME_FILE` read into `NAME`, or every problem found. */
export const withSecretFiles = (
  environment: Environment,
  readFile: (path: string) => string
): Either.Either<Readonly<Record<string, string>>, ReadonlyArray<string>> => {
  const resolved: Record<string, string> = {}
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) resolved[name] = value
  const problems: Array<string> = []
  for (const name of SECRET_SETTINGS) {
    const path = environment[`${name}_FILE`]
    if (path === undefined) continue
    delete resolved[`${name}_FILE`]
    if (environment[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set: give one`)
      continue
    }
    let content: string
    try {
      content = readFile(path)
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${path} (${error instanceof Error && "code" in error ? String(error.code) : "unreadable"})`)
      continue
    }
    const secret = content.replace(/\r?\n$/, "")
    if (secret.trim() === "") problems.push(`${name}_FILE: ${path} is empty`)
    else resolved[name] = secret
  }
  return problems.length === 0 ? Either.right(resolved) : Either.left(problems)
}
