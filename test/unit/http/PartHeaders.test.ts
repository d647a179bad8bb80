import { Multipart } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { boundaryOf, latin1PartHeaders, utf8FileName } from "../../../src/http/PartHeaders.js"

const boundary = "----form7MA4YWxkTrZu0gW"
/** Content with every byte value, a lone CR LF, and a near-delimiter that is not one. */
const content = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n\r\n--`), Buffer.from("ünïcödé")])
const body = Buffer.concat([
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="議事録 – März.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`, "utf8"),
  content,
  // No epilogue: forms never send one.
  Buffer.from(`\r\n--${boundary}--\r\n`)
])

interface Parsed {
  readonly key: string
  readonly name: string | null
  readonly bytes: Buffer
}

/** The body cut at `cuts`, through the transform and the platform's parser: each part's name, file name and bytes. */
const parse = (cuts: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const transform = latin1PartHeaders(boundary)
    const edges = [0, ...cuts, body.length]
    const chunks = edges.slice(1).map((end, i) => transform(new Uint8Array(body.subarray(edges[i]!, end))))
    const parts = yield* Stream.fromIterable(chunks).pipe(
      Stream.pipeThroughChannel(Multipart.makeChannel({ "content-type": `multipart/form-data; boundary=${boundary}` })),
      Stream.mapEffect((part): Effect.Effect<Parsed, Multipart.MultipartError> =>
        part._tag === "File"
          ? Effect.map(Stream.runCollect(part.content), (bytes) => ({ key: part.key, name: utf8FileName(part.name), bytes: Buffer.concat(Chunk.toReadonlyArray(bytes)) }))
          : Effect.succeed({ key: part.key, name: null, bytes: Buffer.from(part.value) })
      ),
      Stream.runCollect
    )
    return Chunk.toReadonlyArray(parts)
  })

describe("part headers for the multipart parser", () => {
  it.live("a raw UTF-8 file name reaches the handler, and every content byte is kept, wherever the body is cut", () =>
    Effect.gen(function* () {
      const expected = [
        { key: "note", name: null, bytes: Buffer.from("hello") },
        { key: "file", name: "議事録 – März.bin", bytes: content }
      ]
      expect(yield* parse([])).toEqual(expected)
      // Not between the two dashes that end the body: the parser itself fails there
      // (EndNotReached, or waits for ever without the final CRLF), with or without the transform.
      const finalDashes = body.length - 3
      const allowed = (cut: number) => cut !== finalDashes
      // Single cuts through the file part's headers and the delimiters around its content (the
      // content between is skipped to the next CR, the same code for every byte), then many-way cuts.
      const fileHeaders = body.indexOf(`\r\n--${boundary}`) + 1
      const fileStart = body.indexOf(content)
      const around = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)
      for (const cut of [...around(fileHeaders, fileStart + 8), ...around(fileStart + 250, body.length)]) if (allowed(cut)) expect(yield* parse([cut])).toEqual(expected)
      for (const size of [3, 64]) {
        const cuts = Array.from({ length: Math.ceil(body.length / size) - 1 }, (_, i) => (i + 1) * size).filter(allowed)
        expect(yield* parse(cuts)).toEqual(expected)
      }
    }))

  it("reads back only what was raw UTF-8", () => {
    expect(utf8FileName("MÃ¤rz.txt")).toBe("März.txt")
    // Latin-1 that is not UTF-8 when read as bytes stays as it came; so does a name that is already Unicode.
    expect(utf8FileName("März.txt")).toBe("März.txt")
    expect(utf8FileName("議事録.txt")).toBe("議事録.txt")
    expect(utf8FileName("plain.txt")).toBe("plain.txt")
  })

  it("finds the boundary, quoted or not", () => {
    expect(boundaryOf("multipart/form-data; boundary=abc")).toBe("abc")
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b;c"')).toBe("a b;c")
    expect(boundaryOf("multipart/form-data")).toBeNull()
  })
})
