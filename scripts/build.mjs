#!/usr/bin/env node
// Compiles the CLI once: esbuild bundles src/bin/flowboard.ts (and everything it imports, with
// tree shaking) into dist/<hash>/, copies the files the code reads beside itself, and records in
// dist/manifest.json which sources it was built from (bin/Freshness.mjs checks them at start).
//
//   node scripts/build.mjs            build (fails loudly)
//   node scripts/build.mjs --if-able  as `prepare`: a missing esbuild (npm ci --omit=dev) or a
//                                     failed build is a note, never a failed install; the
//                                     launcher then runs the sources through tsx
//                                     and it also makes the embedded database's template
//                                     (node_modules/.cache/flowboard), so that the first
//                                     `npm start` after `npm ci` does not run initdb
//   node scripts/build.mjs --analyze  also print the largest packages in the bundle
//
// Each build goes to its own directory, renamed into place when complete, and the manifest is
// replaced atomically: processes starting while another rebuilds see either build, whole.
import { spawnSync } from "node:child_process"
import { copyFileSync, mkdtempSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { hashInputs, MANIFEST, readManifest } from "../bin/Freshness.mjs"

const root = fileURLToPath(new URL("../", import.meta.url))

/**
 * Not bundled: PGlite loads its WebAssembly and data files from beside its own modules, and
 * pg-native is an optional native addon `pg` asks for only when told to.
 */
export const EXTERNAL = ["@electric-sql/pglite", "pg-native"]

/** Read by the build besides the sources: a change to any of them changes the output. */
const SETTINGS = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "bin/Freshness.mjs"]

// The bundle is ESM; the CommonJS packages in it (pg, ioredis, ...) still call `require` for
// Node's built-ins, which esbuild forwards to a real `require` when there is one in scope.
const banner = "import { createRequire as __flowboardCreateRequire } from 'node:module'; const require = __flowboardCreateRequire(import.meta.url);"

const toPosix = (path) => path.split("\\").join("/")

/** As migrations/Digest.ts computes it from the sources: the bundle has no migrations folder. */
const migrationsDigest = () =>
  hashInputs(root, readdirSync(join(root, "migrations")).filter((name) => /^\d{4}_.+\.ts$/.test(name)).map((name) => `migrations/${name}`))

/**
 * `/docs` inlines Scalar's browser bundle, which @effect/platform ships as one 3.4 MB string
 * literal: parsing it cost every start 55-85 ms (and the source stayed in memory twice). The
 * build writes it to a file beside the bundle instead, read when the module loads.
 */
const SCALAR_FILE = "scalar-api-reference.js"
const scalarFromFile = {
  name: "scalar-from-file",
  setup(build) {
    build.onLoad({ filter: /[\\/]@effect[\\/]platform[\\/]dist[\\/]esm[\\/]internal[\\/]httpApiScalar\.js$/ }, async (args) => {
      const { javascript } = await import(pathToFileURL(args.path).href)
      if (typeof javascript !== "string") throw new Error(`${args.path} no longer exports the string \`javascript\``)
      scalarFromFile.scalar = javascript
      return {
        contents: `import { readFileSync } from "node:fs"\nexport const javascript = readFileSync(new URL("./${SCALAR_FILE}", import.meta.url), "utf8")\n`,
        loader: "js"
      }
    })
  }
}

/**
 * Files the sources read at run time from beside themselves (`new URL("./x", import.meta.url)`):
 * the siblings that are not code of every bundled source mentioning `import.meta.url`. Every
 * output file sits directly in the build directory, so `import.meta.url` of whichever chunk
 * holds that code resolves them there.
 */
const assetsOf = (sources) => {
  const assets = []
  for (const source of sources) {
    if (!readFileSync(join(root, source), "utf8").includes("import.meta.url")) continue
    const dir = dirname(source)
    for (const name of readdirSync(join(root, dir)).sort()) {
      if (/\.([mc]?ts|map)$/.test(name)) continue
      assets.push(toPosix(join(dir, name)))
    }
  }
  return [...new Set(assets)]
}

/** The largest packages (or project folders) in the bundle, from esbuild's metafile. */
const analyze = (metafile) => {
  const bytes = new Map()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
      const key = match ? match[1] : input.split("/").slice(0, 2).join("/")
      bytes.set(key, (bytes.get(key) ?? 0) + bytesInOutput)
    }
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1])
}

/** Builds dist/<hash>/ and its manifest; answers the manifest and esbuild's metafile. */
export const build = async ({ log = (line) => process.stderr.write(`${line}\n`) } = {}) => {
  const esbuild = await import("esbuild")
  const started = performance.now()
  const dist = join(root, "dist")
  mkdirSync(dist, { recursive: true })
  const staging = join(dist, `.staging-${process.pid}-${Date.now()}`)
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { flowboard: "src/bin/flowboard.ts" },
      outdir: staging,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      // Modules imported with `import()` (the commands' work, the embedded database) become
      // chunks loaded only by the commands that need them: `--help` parses less.
      splitting: true,
      chunkNames: "[name]-[hash]",
      external: EXTERNAL,
      banner: { js: banner },
      // Smaller to parse, names kept: stack traces and class names still read.
      minifySyntax: true,
      minifyWhitespace: true,
      legalComments: "none",
      sourcemap: "linked",
      metafile: true,
      logLevel: "warning",
      define: { FLOWBOARD_MIGRATIONS_DIGEST: JSON.stringify(migrationsDigest()) },
      plugins: [scalarFromFile]
    })
    const sources = Object.keys(result.metafile.inputs).filter((input) => !input.includes("node_modules/")).map(toPosix)
    const assets = assetsOf(sources)
    for (const asset of assets) {
      const target = join(staging, basename(asset))
      if (existsSync(target)) throw new Error(`asset ${asset} would overwrite an output file`)
      copyFileSync(join(root, asset), target)
    }
    const scalar = scalarFromFile.scalar
    if (typeof scalar === "string") writeFileSync(join(staging, SCALAR_FILE), scalar)
    writeFileSync(join(staging, "meta.json"), JSON.stringify(result.metafile))
    const inputs = [...new Set([...sources, ...assets, ...SETTINGS.filter((file) => existsSync(join(root, file)))])].sort()
    const hash = hashInputs(root, inputs)
    if (hash === undefined) throw new Error("a source changed while it was being built; build again")
    const name = hash.slice(0, 16)
    const target = join(dist, name)
    if (existsSync(target)) rmSync(staging, { recursive: true, force: true })
    else renameSync(staging, target)
    const previous = readManifest(root)
    const manifest = { hash, entry: toPosix(relative(root, join(target, "flowboard.js"))), inputs, builtAt: new Date().toISOString() }
    const partial = join(root, `${MANIFEST}.${process.pid}`)
    writeFileSync(partial, `${JSON.stringify(manifest, null, 2)}\n`)
    renameSync(partial, join(root, MANIFEST))
    // Keep this build and the one before (a process started from it may still load its lazy
    // chunks); older ones go.
    const keep = new Set([name, previous === undefined ? "" : basename(dirname(join(root, previous.entry)))])
    for (const entry of readdirSync(dist, { withFileTypes: true })) {
      if (entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name) && !keep.has(entry.name)) {
        rmSync(join(dist, entry.name), { recursive: true, force: true })
      }
    }
    log(`flowboard: built ${manifest.entry} from ${sources.length} sources in ${Math.round(performance.now() - started)} ms`)
    return { manifest, metafile: result.metafile }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/**
 * Runs `flowboard migrate` on a throwaway data directory: the first embedded open makes the
 * migrated template (src/repositories/sql/PgliteTemplate.ts) that later first starts copy.
 */
const primeTemplate = (manifest) => {
  const dataDir = mkdtempSync(join(tmpdir(), "flowboard-template-"))
  try {
    const env = { ...process.env, FLOWBOARD_DATA_DIR: join(dataDir, "data"), FLOWBOARD_CACHE_DIR: join(root, "node_modules", ".cache", "flowboard"), LOG_LEVEL: "warn" }
    delete env.DATABASE_URL
    const result = spawnSync(process.execPath, [join(root, manifest.entry), "migrate"], { env, stdio: ["ignore", "ignore", "inherit"] })
    if (result.status !== 0) throw new Error(`flowboard migrate exited with ${result.status ?? result.signal}`)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain) {
  const ifAble = process.argv.includes("--if-able")
  try {
    const { manifest, metafile } = await build()
    if (ifAble && existsSync(join(root, "node_modules"))) primeTemplate(manifest)
    if (process.argv.includes("--analyze")) {
      for (const [name, size] of analyze(metafile).slice(0, 40)) console.log(`${(size / 1024).toFixed(1).padStart(9)} KiB  ${name}`)
    }
  } catch (error) {
    if (!ifAble) throw error
    const missing = error instanceof Error && "code" in error && error.code === "ERR_MODULE_NOT_FOUND"
    process.stderr.write(
      `flowboard: not built (${missing ? "esbuild is not installed" : error instanceof Error ? error.message : String(error)}); ` +
        "the CLI will run its TypeScript sources through tsx\n"
    )
  }
}
