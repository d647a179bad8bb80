import { describe, expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ImportResult } from "../../src/domain/JobRequests.js"
import { Column, Project, Task } from "../../src/domain/Model.js"
import { expectError, makeProject, readBoard, Scene, send } from "./Harness.js"
import { acceptedJob, decodeResult, finished, JobsSceneLive } from "./JobsSupport.js"

const ExportDocument = Schema.Struct({ project: Project, columns: Schema.Array(Column), tasks: Schema.Array(Task), exportedAt: Schema.String })

const importTasks = (token: string, projectId: string, body: unknown) => send("POST", `/api/v1/projects/${projectId}/import`, { token, body })

describe("import and export", () => {
  layer(JobsSceneLive)("jobs", (it) => {
    it.effect("imports CSV rows as tasks and reports each bad row with its line and field", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "IMPA")
        yield* send("POST", `/api/v1/projects/${project.id}/columns`, { token: cast.owner.token, body: { name: "Narrow", wipLimit: 1 } })
        const csv = [
          "title,description,column,priority,labels,dueAt,estimate",
          'Plain,,,,,,',
          '"Quoted, with comma","Line one\nline two",In progress,high,ui;api,2030-01-01T09:00:00Z,2',
          ',no title,,,,,',
          'Bad priority,,,asap,,,',
          'Full 1,,Narrow,,,,',
          'Full 2,,Narrow,,,,',
          '"He said ""hi""",,Nowhere,,,,lots'
        ].join("\r\n")
        const accepted = acceptedJob(yield* importTasks(cast.editor.token, project.id, { format: "csv", data: csv }))
        const job = yield* finished(cast.editor.token, accepted.jobId)
        expect(job).toMatchObject({ status: "succeeded", progress: { done: 7, total: 7 } })
        expect(decodeResult(ImportResult, job)).toEqual({
          processed: 7,
          created: 3,
          failed: 4,
          errors: [
            { row: 5, field: "title", message: "must not be blank" },
            { row: 6, field: "priority", message: 'Expected "low" | "medium" | "high" | "urgent", actual "asap"' },
            { row: 8, field: "column", message: "column Narrow is at its WIP limit of 1" },
            { row: 9, field: "column", message: 'no column named "Nowhere" on the board' },
            { row: 9, field: "estimate", message: 'Expected number, actual "lots"' }
          ]
        })
        const board = yield* readBoard(cast.editor.token, project.id)
        expect(board.columns.map((c) => [c.name, c.tasks.map((t) => t.title)]).filter(([, titles]) => titles.length > 0)).toEqual([
          ["Backlog", ["Plain"]],
          ["In progress", ["Quoted, with comma"]],
          ["Narrow", ["Full 1"]]
        ])
      })
    )

    it.effect("imports JSON; refuses a file that cannot be read at all with a 400 and no job", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { project } = yield* makeProject(cast, "IMPB")
        const data = JSON.stringify([{ title: "One", labels: ["x", "y"], estimate: 1 }, { title: "Two", priority: "urgent" }])
        const job = yield* finished(cast.editor.token, acceptedJob(yield* importTasks(cast.editor.token, project.id, { format: "json", data })).jobId)
        expect(decodeResult(ImportResult, job)).toEqual({ processed: 2, created: 2, failed: 0, errors: [] })
        expect(expectError(yield* importTasks(cast.editor.token, project.id, { format: "json", data: "[{" }), 400, "ValidationError").message).toBe("data: is not valid JSON")
        expect(expectError(yield* importTasks(cast.editor.token, project.id, { format: "csv", data: "name\nx" }), 400, "ValidationError").message).toMatch(/^data: unknown column "name"/)
        expectError(yield* importTasks(cast.editor.token, project.id, { format: "xml", data: "" }), 400, "ValidationError")
        expectError(yield* importTasks(cast.viewer.token, project.id, { format: "json", data: "[]" }), 403, "Forbidden")
      })
    )

    it.effect("exports the project, its columns and tasks as the job's result, to any member", () =>
      Effect.gen(function* () {
        const cast = yield* Scene
        const { columns, project } = yield* makeProject(cast, "EXPA")
        yield* send("POST", `/api/v1/projects/${project.id}/tasks`, { token: cast.editor.token, body: { title: "Exported", labels: ["l"] } })
        expectError(yield* send("POST", `/api/v1/projects/${project.id}/export`, { token: cast.outsider.token }), 404, "NotFound")
        const accepted = acceptedJob(yield* send("POST", `/api/v1/projects/${project.id}/export`, { token: cast.viewer.token }))
        const job = yield* finished(cast.viewer.token, accepted.jobId)
        expect(job.status).toBe("succeeded")
        const document = decodeResult(ExportDocument, job)
        expect(document.project.id).toBe(project.id)
        expect(document.columns.map((c) => c.id)).toEqual(columns.map((c) => c.id))
        expect(document.tasks.map((t) => [t.title, t.labels])).toEqual([["Exported", ["l"]]])
      })
    )
  })
})
