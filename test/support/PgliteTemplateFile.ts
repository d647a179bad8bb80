/** Where the migrated PGlite template lives; cheap to import (the global setup checks it first). */
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const migrationsDir = fileURLToPath(new URL("../../migrations/", import.meta.url))

export const templateFile: string = (() => {
  // Bump when the way the template is made (Database.ts) changes.
  const digest = createHash("sha256").update("template v2")
  for (const file of readdirSync(migrationsDir).sort()) digest.update(file).update(readFileSync(join(migrationsDir, file)))
  const dir = fileURLToPath(new URL("../../node_modules/.cache/flowboard/", import.meta.url))
  return join(dir, `pglite-template-${digest.digest("hex").slice(0, 16)}.tar`)
})()
