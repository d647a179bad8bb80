/**
 * The peer a Node user would otherwise pick: Fastify + pg answering `GET /api/v1/tasks/:id` with
 * Flowboard's statement and its JSON. No API-key check, logging, metrics or tracing (Fastify's
 * logger is off by default), a pool of 10 like Flowboard's default, JSON by `JSON.stringify`
 * (no response schema). Run as its own process by the bench:
 * `PORT=… PEER_DATABASE_URL=… PEER_USER_ID=… node --import tsx test/bench/http/FastifyPeer.ts`.
 */
import Fastify from "fastify"
import pg from "pg"
import { findTaskWithAccess, type TaskAccessRow, taskJson } from "./TaskQuery.js"

const required = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const pool = new pg.Pool({ connectionString: required("PEER_DATABASE_URL"), max: 10 })
const userId = required("PEER_USER_ID")
const app = Fastify()

app.get("/health/ready", async () => ({ status: "ok" }))
app.get<{ Params: { readonly id: string } }>("/api/v1/tasks/:id", async (request, reply) => {
  const result = await pool.query<TaskAccessRow>(findTaskWithAccess, [request.params.id, userId])
  const row = result.rows[0]
  if (row === undefined) return reply.code(404).send({ _tag: "NotFound", message: "task not found", status: 404 })
  return taskJson(row)
})

await app.listen({ port: Number(required("PORT")), host: "127.0.0.1" })

const stop = () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0))
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
