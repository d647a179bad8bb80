import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either } from "effect"
import { newId, ColumnId, ProjectId } from "../../../src/domain/Ids.js"
import { Column } from "../../../src/domain/Model.js"
import { parseCsv } from "../../../src/jobs/Csv.js"
import { parseImport, toCreateTask } from "../../../src/jobs/ImportRows.js"

const records = (text: string) => Either.getOrThrow(parseCsv(text)).map((r) => [r.line, ...r.fields])

describe("parseCsv", () => {
  it("splits records on LF and CRLF and fields on commas, keeping empty fields", () => {
    expect(records("a,b,c\r\n1,,3\n,,\n")).toEqual([[1, "a", "b", "c"], [2, "1", "", "3"], [3, "", "", ""]])
  })

  it("reads quoted fields holding commas, line breaks and doubled quotes, numbering records by their first line", () => {
    expect(records('title,description\n"Fix, then ship","He said ""no""\nand left"\nnext,"",x')).toEqual([
      [1, "title", "description"],
      [2, "Fix, then ship", 'He said "no"\nand left'],
      [4, "next", "", "x"]
    ])
  })

  it("skips empty lines and a byte-order mark; takes a last record without a line break", () => {
    expect(records("\ufefftitle\n\nA\r\n\r\nB")).toEqual([[1, "title"], [3, "A"], [5, "B"]])
  })

  it("keeps a quote inside an unquoted field as it is", () => {
    expect(records('5" screen,x')).toEqual([[1, '5" screen', "x"]])
  })

  it("refuses an unterminated quote and text after a closing quote, naming the line", () => {
    expect(parseCsv('title\n"open\nstill open')).toEqual(Either.left({ line: 2, message: "a quoted field is not closed" }))
    expect(parseCsv('a\n"quoted"tail')).toEqual(Either.left({ line: 2, message: "unexpected text after a closing quote" }))
  })
})

describe("import rows", () => {
  const projectId = newId(ProjectId)
  const now = DateTime.unsafeMake(0)
  const column = (name: string) =>
    Column.make({ id: newId(ColumnId), projectId, name, rank: "a", wipLimit: null, isDone: false, createdAt: now, updatedAt: now })
  const columns = [column("Backlog"), column("In progress")]

  it("maps a CSV row to a task: column by name (any case), labels split on ';', numbers and dates parsed", () => {
    const rows = Either.getOrThrow(parseImport("csv", "Title,column,priority,labels,dueAt,estimate\nShip,in PROGRESS,High,ui; api;,2024-06-01T00:00:00Z,3.5\n"))
    const task = Either.getOrThrow(toCreateTask(rows[0]!, columns))
    expect(task).toMatchObject({ title: "Ship", columnId: columns[1]!.id, priority: "high", labels: ["ui", "api"], estimate: 3.5 })
    expect(task.dueAt?.toJSON()).toBe("2024-06-01T00:00:00.000Z")
  })

  it("reports every wrong field of a row with its row number", () => {
    const rows = Either.getOrThrow(parseImport("csv", 'title,column,priority,estimate\n"",Nowhere,asap,lots\nok,,,\n'))
    expect(Either.flip(toCreateTask(rows[0]!, columns)).pipe(Either.getOrThrow)).toEqual([
      { row: 2, field: "column", message: 'no column named "Nowhere" on the board' },
      { row: 2, field: "title", message: "must not be blank" },
      { row: 2, field: "priority", message: 'Expected "low" | "medium" | "high" | "urgent", actual "asap"' },
      { row: 2, field: "estimate", message: 'Expected number, actual "lots"' }
    ])
    expect(Either.isRight(toCreateTask(rows[1]!, columns))).toBe(true)
  })

  it("refuses a whole file that is not CSV or JSON at all, or whose header is unknown", () => {
    const message = (format: "csv" | "json", data: string) => Either.flip(parseImport(format, data)).pipe(Either.getOrThrow).message
    expect(message("csv", "title,owner\nx,y")).toMatch(/^data: unknown column "owner"/)
    expect(message("csv", "description\nx")).toBe("data: the header has no title column")
    expect(message("csv", "")).toBe("data: the file is empty: expected a header row")
    expect(message("json", "{")).toBe("data: is not valid JSON")
    expect(message("json", '{"title":"x"}')).toBe("data: must be a JSON array of tasks")
  })

  it("reads JSON items by position, labels as an array, and reports unknown fields and non-objects", () => {
    const rows = Either.getOrThrow(parseImport("json", JSON.stringify([{ title: "A", labels: ["x"] }, 7, { title: "B", owner: "me" }])))
    expect(Either.getOrThrow(toCreateTask(rows[0]!, columns))).toMatchObject({ title: "A", labels: ["x"] })
    expect(toCreateTask(rows[1]!, columns)).toEqual(Either.left([{ row: 2, field: null, message: "must be an object" }]))
    expect(toCreateTask(rows[2]!, columns)).toEqual(Either.left([{ row: 3, field: "owner", message: "is not an import field" }]))
  })
})
