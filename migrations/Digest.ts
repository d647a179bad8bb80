import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { hashInputs } from "../bin/Freshness.mjs"

/** Written in by scripts/build.mjs (esbuild `define`): the bundle has no migrations folder beside it. */
declare const FLOWBOARD_MIGRATIONS_DIGEST: string | undefined

/** The migration sources, relative to the project root: what the digest covers. */
export const migrationFiles = (root: string): ReadonlyArray<string> =>
  readdirSync(`${root}/migrations`)
    .filter((name) => /^\d{4}_.+\.ts$/.test(name))
    .map((name) => `migrations/${name}`)

/**
 * sha256 of the migration sources (names and bytes), the same from the sources and from the
 * build. What a cached, migrated database (the embedded template) is keyed by: a migration
 * added or edited makes a new one.
 */
export const migrationsDigest = (): string => {
  if (typeof FLOWBOARD_MIGRATIONS_DIGEST === "string") return FLOWBOARD_MIGRATIONS_DIGEST
  const root = fileURLToPath(new URL("../", import.meta.url))
  return hashInputs(root, migrationFiles(root)) ?? "unknown"
}
