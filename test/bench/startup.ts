/**
 * Time from `npm start` (the process spawn) to the first answered request, on a fresh data
 * directory (first start: initdb, migrations, admin bootstrap) and on a second start over it.
 * Run with `npm run bench:startup`.
 */
import { spawn } from "node:child_process"
import { get } from "node:http"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const port = 3900 + Math.floor(Math.random() * 90)

/** One probe with its own short timeout: a refused or stalled connection is just "not yet". */
const answers = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const request = get(url, { timeout: 500 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on("timeout", () => request.destroy())
    request.on("error", () => resolve(false))
  })

const timeToFirstAnswer = async (dataDir: string): Promise<number> => {
  const started = performance.now()
  const child = spawn(process.execPath, ["bin/flowboard.mjs", "start"], {
    env: { ...process.env, PORT: String(port), FLOWBOARD_DATA_DIR: dataDir, DATABASE_URL: "" },
    stdio: "ignore"
  })
  try {
    for (let attempt = 0; attempt < 1200; attempt++) {
      if (await answers(`http://127.0.0.1:${port}/health/live`)) return performance.now() - started
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error("server did not answer within 30 s")
  } finally {
    child.kill("SIGTERM")
    await new Promise((resolve) => child.once("exit", resolve))
  }
}

const dir = mkdtempSync(join(tmpdir(), "flowboard-bench-"))
try {
  const first = await timeToFirstAnswer(join(dir, "data"))
  const second = await timeToFirstAnswer(join(dir, "data"))
  console.log(`startup: first start (empty data dir) ${(first / 1000).toFixed(2)} s to first answered request`)
  console.log(`startup: second start (existing data)  ${(second / 1000).toFixed(2)} s to first answered request`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
