/**
 * PGlite takes no lock on its data directory: a second process opens it without complaint and
 * the two silently lose each other's writes (seen with PGlite 0.5). Postgres guards its data
 * directory with `postmaster.pid`; this is the same idea for embedded mode.
 *
 * A lock left behind by a dead process is taken over. So is one carrying our own pid that this
 * process does not hold: a restarted container often gets the same pid (1) as the one that
 * crashed. Two processes taking over the same stale lock at the same instant can both win;
 * that needs a crash followed by two simultaneous starts, and is accepted.
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect, type Scope } from "effect"
import { readFile, rm, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"

const LockFile = "flowboard.lock"

/** Directories this process holds, so that a second client in the same process is refused. */
const held = new Set<string>()

const errorCode = (error: unknown) =>
  error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) === "EPERM"
  }
}

const take = async (dir: string) => {
  if (held.has(dir)) throw new Error(`${dir} is already open in this process`)
  const file = join(dir, LockFile)
  try {
    await writeFile(file, String(process.pid), { flag: "wx" })
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error
    const owner = Number((await readFile(file, "utf8")).trim())
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new Error(`${dir} is in use by process ${owner} (remove ${file} if that is wrong)`)
    }
    await writeFile(file, String(process.pid))
  }
  held.add(dir)
}

const release = async (dir: string) => {
  held.delete(dir)
  await rm(join(dir, LockFile), { force: true })
}

/** Holds the lock on an existing data directory for the life of the scope. */
export const lockDataDir = (dataDir: string): Effect.Effect<void, SqlError, Scope.Scope> => {
  const dir = resolve(dataDir)
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: () => take(dir),
      catch: (cause) => new SqlError({ cause, message: `PgliteClient: cannot lock ${dataDir}` })
    }),
    () => Effect.promise(() => release(dir).catch(() => undefined))
  )
}
