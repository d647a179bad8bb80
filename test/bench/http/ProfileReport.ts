/**
 * The breakdown of a profile `BENCH_PROFILE=1 npm run bench:http` left in .scratch/, again (for
 * instance after changing the categories): `npx tsx test/bench/http/ProfileReport.ts <dir> [top]`.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { printBreakdowns, type Windows } from "./Profile.js"

const dir = process.argv[2]
if (dir === undefined) throw new Error("usage: tsx test/bench/http/ProfileReport.ts <profile dir> [top]")
const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))
if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`)
const isWindows = (u: unknown): u is Windows =>
  typeof u === "object" && u !== null &&
  Object.values(u).every((entry: unknown) => typeof entry === "object" && entry !== null && "windows" in entry && Array.isArray(entry.windows) && "requests" in entry && typeof entry.requests === "number")
const parsed: unknown = JSON.parse(readFileSync(join(dir, "windows.json"), "utf8"))
if (!isWindows(parsed)) throw new Error(`${dir}/windows.json is not what the bench writes`)
printBreakdowns(join(dir, file), parsed, Number(process.argv[3] ?? 25))
