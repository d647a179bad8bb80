/**
 * A first start on an empty data directory used to spend most of its time in initdb and the
 * migrations (seconds of WebAssembly, and hundreds of MB for initdb's own instance). Both give
 * the same files every time, so a migrated, empty data directory is kept in a cache directory
 * and copied into an empty data directory before PGlite opens it: a first start then costs a
 * copy (~40 MB) and an ordinary open.
 *
 * The template's name carries the key (the migrations' digest, PGlite's version, the way it is
 * made), so a new migration or a PGlite upgrade makes a new one. It is made by the first start
 * that finds none, in a directory of its own renamed into place, so concurrent starts never see
 * half of one. Anything going wrong here is logged and the start goes on as before (initdb).
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect, type Scope } from "effect"
import { constants } from "node:fs"
import { access, cp, mkdir, readdir, rename, rm } from "node:fs/promises"
import { join } from "node:path"

export interface TemplateOptions {
  /** Where templates are kept (e.g. `node_modules/.cache/flowboard`). */
  readonly cacheDir: string
  /** Changes whenever the template would: migrations, PGlite version, settings. */
  readonly key: string
  /** Opens a database in `dataDir` and migrates it; closed when the scope ends. */
  readonly make: (dataDir: string) => Effect.Effect<unknown, unknown, Scope.Scope>
}

/** Our lock file (DataDirLock.ts) sits in the data directory; it is never part of a template. */
const LOCK_FILE = "flowboard.lock"

const io = <A>(message: string, evaluate: () => Promise<A>) =>
  Effect.tryPromise({ try: evaluate, catch: (cause) => new SqlError({ cause, message }) })

const exists = (path: string) =>
  Effect.promise(() => access(path).then(() => true, () => false))

/** The template's directory, made first when there is none. */
const ensureTemplate = (options: TemplateOptions) =>
  Effect.gen(function*() {
    const template = join(options.cacheDir, `pglite-datadir-${options.key}`)
    if (yield* exists(join(template, "PG_VERSION"))) return template
    const staging = `${template}.${process.pid}-${Date.now()}`
    yield* io(`cannot create ${options.cacheDir}`, () => mkdir(staging, { recursive: true }))
    yield* Effect.logInfo("Making the embedded database's template (once per set of migrations)").pipe(
      Effect.annotateLogs("template", template)
    )
    yield* Effect.scoped(options.make(staging)).pipe(
      Effect.tapErrorCause(() => Effect.promise(() => rm(staging, { recursive: true, force: true })))
    )
    // Another start may have finished one meanwhile: either is good.
    yield* Effect.promise(() =>
      rename(staging, template).catch(() => rm(staging, { recursive: true, force: true }))
    )
    return template
  })

/**
 * For `PgliteClientConfig.beforeOpen`: when `dataDir` holds nothing but our lock, copy the
 * template into it. A data directory with anything else in it is left to PGlite as it is.
 */
export const seedFromTemplate = (options: TemplateOptions) => (dataDir: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    const entries = yield* io(`cannot read ${dataDir}`, () => readdir(dataDir))
    if (entries.some((name) => name !== LOCK_FILE)) return
    const template = yield* ensureTemplate(options)
    yield* io(`cannot copy ${template}`, () =>
      cp(template, dataDir, {
        recursive: true,
        // A copy-on-write clone where the file system has them, else a copy.
        mode: constants.COPYFILE_FICLONE,
        filter: (source) => !source.endsWith(`/${LOCK_FILE}`)
      })).pipe(
        // Half a copy would be worse than none: take it out again and let PGlite initdb.
        Effect.tapError(() =>
          Effect.promise(async () => {
            for (const name of await readdir(dataDir)) {
              if (name !== LOCK_FILE) await rm(join(dataDir, name), { recursive: true, force: true })
            }
          })
        )
      )
    yield* Effect.logInfo("Embedded database created from its template").pipe(Effect.annotateLogs("template", template))
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("No template for the embedded database; creating it in place", cause)),
    Effect.withSpan("PgliteTemplate.seed")
  )
