import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { BulkResult } from "../../src/domain/JobRequests.js"
import { expectError, get, makeProject, readBoard, Scene, SceneLive, send } from "./Harness.js"
import { acceptedJob, decodeResult, finished, JobsSceneLive } from "./JobsSupport.js"

const bulk = (token: string, projectId: string, operations: ReadonlyArray<unknown>, headers?: Record<string, string>) =>
  send("POST", `/api/v1/projects/${projectId}/tasks/bulk`, { token, body: { operations }, ...(headers === undefined ? {} : { headers }) })

const creates = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ op: "create", title: `Task ${i}`, ...extra }))

describe("bulk task operations", () => {
  // No runner here: what is checked is what the request itself does.
  layer(SceneLive)("the request", (it) => {
    it.effect("accepts 1,000 operations with 202 and a job to poll, refuses 1,001", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "BLKA")
        const job = acceptedJob(yield* bulk(cast.editor.token, project.id, creates(1000)))
        expect(job).toMatchObject({ status: "queued", location: `/api/v1/jobs/${job.jobId}` })
        const polled = yield* get(job.location, cast.editor.token)
        expect(polled.body).toMatchObject({ id: job.jobId, type: "tasks.bulk.v1", status: "queued", progress: null })
        const tooMany = expectError(yield* bulk(cast.editor.token, project.id, creates(1001)), 400, "ValidationError")
        expect(tooMany.message).toMatch(/^operations: /)
      })
    )

    it.effect("validates every operation up front: a 400 names the index and the field, and no job starts", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "BLKB")
        const operations = [...creates(537), { op: "create", title: "  " }, ...creates(462)]
        const blank = expectError(yield* bulk(cast.editor.token, project.id, operations), 400, "ValidationError")
        expect(blank.message).toBe("operations.537.title: must not be blank")
        expect(blank.issues?.[0]?.path).toEqual(["operations", 537, "title"])
        const badMove = expectError(yield* bulk(cast.editor.token, project.id, [{ op: "move", taskId: "nope", version: 1, columnId: project.id }]), 400, "ValidationError")
        expect(badMove.message).toMatch(/^operations\.0\.taskId: /)
        const unknownOp = expectError(yield* bulk(cast.editor.token, project.id, [{ op: "delete" }]), 400, "ValidationError")
        expect(unknownOp.message).toMatch(/^operations\.0\.op: /)
      })
    )

    it.effect("needs the editor role (403 to a viewer, 404 to a non-member); the job is its creator's", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "BLKC")
        expectError(yield* bulk(cast.viewer.token, project.id, creates(1)), 403, "Forbidden")
        expectError(yield* bulk(cast.outsider.token, project.id, creates(1)), 404, "NotFound")
        const job = acceptedJob(yield* bulk(cast.editor.token, project.id, creates(1)))
        expectError(yield* get(job.location, cast.owner.token), 404, "NotFound")
        expect((yield* get(job.location, cast.admin.token)).status).toBe(200)
        expect((yield* get(job.location, cast.editor.token)).status).toBe(200)
      })
    )

    it.effect("an Idempotency-Key repeats the first job instead of starting another", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "BLKD")
        const headers = { "idempotency-key": "import-2024-06-01" }
        const first = acceptedJob(yield* bulk(cast.editor.token, project.id, creates(2), headers))
        const again = acceptedJob(yield* bulk(cast.editor.token, project.id, creates(2), headers))
        const other = acceptedJob(yield* bulk(cast.editor.token, project.id, creates(2)))
        expect(again.jobId).toBe(first.jobId)
        expect(other.jobId).not.toBe(first.jobId)
      })
    )
  })

  layer(JobsSceneLive)("the job", (it) => {
    it.effect("runs in batches through the task rules: a WIP-limited create fails alone, its batch commits, progress reaches the total", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { columns, project } = yield* makeProject(cast, "BLKE")
        const narrow = yield* send("POST", `/api/v1/projects/${project.id}/columns`, { token: cast.owner.token, body: { name: "Narrow", wipLimit: 2 } })
        const narrowId = (narrow.body as { readonly id: string }).id
        const existing = yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Existing" } })
        const existingId = (existing.body as { readonly id: string }).id
        // 250 operations: batches 0-99, 100-199, 200-249. In the second batch, three creates
        // aim at a column with room for two, and a move carries a stale version.
        const operations: Array<unknown> = creates(250)
        operations[120] = { op: "create", title: "Narrow 1", columnId: narrowId }
        operations[121] = { op: "create", title: "Narrow 2", columnId: narrowId }
        operations[122] = { op: "create", title: "Narrow 3", columnId: narrowId }
        operations[130] = { op: "move", taskId: existingId, version: 1, columnId: columns[2]!.id }
        operations[131] = { op: "move", taskId: existingId, version: 1, columnId: columns[3]!.id }
        operations[140] = { op: "update", taskId: existingId, version: 2, title: "Existing, renamed" }
        const accepted = acceptedJob(yield* bulk(cast.editor.token, project.id, operations))
        const job = yield* finished(cast.editor.token, accepted.jobId)
        expect(job).toMatchObject({ status: "succeeded", progress: { done: 250, total: 250 }, error: null, attempts: 1 })
        const result = decodeResult(BulkResult, job)
        expect({ succeeded: result.succeeded, failed: result.failed, outcomes: result.outcomes.length }).toEqual({ succeeded: 248, failed: 2, outcomes: 250 })
        expect(result.outcomes.filter((o) => o.status === "error")).toEqual([
          { index: 122, op: "create", status: "error", error: { _tag: "WipLimitExceeded", message: "column Narrow is at its WIP limit of 2" } },
          { index: 131, op: "move", status: "error", error: { _tag: "VersionConflict", message: "task was changed by someone else" } }
        ])
        expect(result.outcomes[140]).toMatchObject({ status: "ok", taskId: existingId, version: 3 })
        const board = yield* readBoard(cast.editor.token, project.id)
        expect(board.columns.find((c) => c.id === narrowId)?.tasks.map((t) => t.title)).toEqual(["Narrow 1", "Narrow 2"])
        // 247 creates, one refused, beside the task that was there.
        expect(board.columns.reduce((n, c) => n + c.tasks.length, 0)).toBe(1 + 246)
        expect(board.columns[2]?.tasks.map((t) => t.title)).toEqual(["Existing, renamed"])
      })
    )
  })
})
