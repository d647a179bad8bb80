/**
 * The bench's own Postgres database: created empty on the server the bench is pointed at, dropped
 * when the run ends (`WITH (FORCE)`, so connections a crashed server left open do not keep it).
 * Plain `pg`, not the app's client: the bench must not depend on the code it measures.
 */
import pg from "pg"

export interface ScratchDatabase {
  readonly name: string
  readonly url: string
  readonly synchronousCommit: string
  readonly drop: () => Promise<void>
}

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const onAdmin = async <A>(serverUrl: string, use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/**
 * `fb_bench_<random>` with the server's own settings: unlike the integration suites' scratch
 * databases, commits wait for the WAL flush as they would in production (the create scenario
 * measures that). `synchronousCommit` says what was in force, for the report.
 */
export const createScratchDatabase = async (serverUrl: string): Promise<ScratchDatabase> => {
  const name = `fb_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`
  await onAdmin(serverUrl, async (client) => {
    await client.query(`CREATE DATABASE "${name}"`)
  })
  const synchronousCommit = await onAdmin(serverUrl, async (client) => {
    const result = await client.query<{ readonly synchronous_commit: string }>("SHOW synchronous_commit")
    return result.rows[0]?.synchronous_commit ?? "unknown"
  })
  let dropped = false
  return {
    name,
    url: withDatabase(serverUrl, name),
    synchronousCommit,
    drop: async () => {
      if (dropped) return
      dropped = true
      await onAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    }
  }
}
