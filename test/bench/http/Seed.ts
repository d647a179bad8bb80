/**
 * The data the scenarios read and write, made through Flowboard's own API as a user would: a
 * board project with 200 tasks spread over its columns (one of them the task the by-id scenario
 * reads) and a second, empty project that the create and mixed scenarios write into, so the
 * board stays at 200 tasks whatever the writes do.
 */
export interface Seeded {
  readonly userId: string
  readonly boardProjectId: string
  readonly writeProjectId: string
  readonly taskId: string
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const stringField = (body: unknown, field: string): string => {
  const value = isRecord(body) ? body[field] : undefined
  if (typeof value !== "string") throw new Error(`no string "${field}" in ${JSON.stringify(body).slice(0, 300)}`)
  return value
}

export const makeApi = (baseUrl: string, authorization: string) => {
  const call = async (method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`)
    return text === "" ? undefined : JSON.parse(text)
  }
  return { call }
}

const priorities = ["low", "medium", "high", "urgent"] as const

export const seed = async (baseUrl: string, authorization: string, boardTasks: number): Promise<Seeded> => {
  const { call } = makeApi(`${baseUrl}/api/v1`, authorization)
  const userId = stringField(await call("GET", "/me"), "id")
  const boardProjectId = stringField(await call("POST", "/projects", { key: "BENCH", name: "HTTP benchmark board" }), "id")
  const writeProjectId = stringField(await call("POST", "/projects", { key: "WRITE", name: "HTTP benchmark writes" }), "id")
  const columns = await call("GET", `/projects/${boardProjectId}/columns`)
  if (!Array.isArray(columns) || columns.length === 0) throw new Error("the board project has no columns")
  const columnIds = columns.map((column: unknown) => stringField(column, "id"))
  let taskId = ""
  for (let i = 0; i < boardTasks; i++) {
    const task = await call("POST", `/projects/${boardProjectId}/tasks`, {
      title: `Benchmark task ${i + 1}: make the board heavy enough to matter`,
      description: `Task ${i + 1} of the HTTP benchmark's board. `.repeat(4),
      priority: priorities[i % priorities.length],
      labels: i % 3 === 0 ? ["bench", "http"] : ["bench"],
      columnId: columnIds[i % columnIds.length]
    })
    if (i === Math.floor(boardTasks / 2)) taskId = stringField(task, "id")
  }
  return { userId, boardProjectId, writeProjectId, taskId }
}
