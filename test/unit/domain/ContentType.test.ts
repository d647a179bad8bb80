import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import {
  decideType,
  DEFAULT_ALLOWED_TYPES,
  markupType,
  refusalMessage,
  servedType,
  textScanner,
  typeOfUnsigned
} from "../../../src/domain/ContentType.js"

const bytes = (text: string) => new TextEncoder().encode(text)

const isText = (...chunks: ReadonlyArray<Uint8Array>): boolean => {
  const scanner = textScanner()
  chunks.forEach(scanner.push)
  return scanner.done()
}

describe("text", () => {
  it("is valid UTF-8 without NUL or other control bytes; TAB, CR, LF, FF and ESC are fine", () => {
    expect(isText(bytes("plain\ttext\r\nwith ünïcödé and 😀\f\u001b[0m"))).toBe(true)
    expect(isText(bytes("nul\u0000inside"))).toBe(false)
    expect(isText(bytes("bell\u0007"))).toBe(false)
    expect(isText(bytes("del\u007f"))).toBe(false)
    expect(isText(new Uint8Array([0x61, 0xff, 0x62]))).toBe(false)
    expect(isText(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(false) // an encoded surrogate
    expect(isText(new Uint8Array([0xc0, 0xaf]))).toBe(false) // an overlong "/"
    expect(isText(new Uint8Array(0))).toBe(true)
  })

  it("takes a character split across chunks, but not one cut off at the end", () => {
    const euro = bytes("€") // e2 82 ac
    expect(isText(euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2))).toBe(true)
    expect(isText(bytes("ok"), euro.subarray(0, 2))).toBe(false)
  })

  it("says, while it reads, whether all so far is text", () => {
    const scanner = textScanner()
    scanner.push(bytes("so far so good"))
    expect(scanner.isText).toBe(true)
    scanner.push(new Uint8Array([0x00]))
    expect(scanner.isText).toBe(false)
    expect(scanner.done()).toBe(false)
  })
})

describe("markup in text", () => {
  it("finds HTML as browsers sniff it: after white space and a BOM, any case, each pattern ending at a tag end", () => {
    for (const head of ["<!DOCTYPE html><p>", "\ufeff  \n<HTML>", "<script>alert(1)</script>", "<iframe src=x>", "<body onload=x>", "<!-- comment -->", "<a href=x>", "<p>hi</p>", "<br/>", "<b>bold"]) {
      expect({ head, type: markupType(head) }).toEqual({ head, type: "text/html" })
    }
  })

  it("finds SVG and XML, and leaves other text that starts with < alone", () => {
    expect(markupType('<svg xmlns="http://www.w3.org/2000/svg">')).toBe("image/svg+xml")
    expect(markupType('<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg>')).toBe("image/svg+xml")
    expect(markupType('<?xml version="1.0"?><feed/>')).toBe("application/xml")
    expect(markupType("<abbr> is not in the list, <b>later</b> does not count")).toBeUndefined()
    expect(markupType("a < b and c > d")).toBeUndefined()
    expect(markupType("Dear <name>,")).toBeUndefined()
  })

  it("decides bytes without a signature: markup, CSV by name, plain text, or octet-stream", () => {
    expect(typeOfUnsigned(true, bytes("<html>"), "photo.png")).toBe("text/html")
    expect(typeOfUnsigned(true, bytes("a,b\n1,2"), "figures.CSV")).toBe("text/csv")
    expect(typeOfUnsigned(true, bytes("a,b\n1,2"), "figures.txt")).toBe("text/plain")
    expect(typeOfUnsigned(false, bytes("a,b"), "figures.csv")).toBe("application/octet-stream")
  })
})

describe("decideType", () => {
  const allowed = DEFAULT_ALLOWED_TYPES

  it("accepts an allowed type that the extension agrees with, or that has an extension we do not know", () => {
    expect(decideType("image/png", "diagram.PNG", allowed)).toEqual(Either.right("image/png"))
    expect(decideType("IMAGE/JPEG", "photo.jpeg", allowed)).toEqual(Either.right("image/jpeg"))
    expect(decideType("text/plain", "script.py", allowed)).toEqual(Either.right("text/plain"))
    expect(decideType("application/pdf", "no-extension", allowed)).toEqual(Either.right("application/pdf"))
    // An Office document whose telling entry was past the sniffed bytes is a plain ZIP.
    expect(decideType("application/zip", "plan.docx", allowed)).toEqual(Either.right("application/zip"))
  })

  it("refuses a type outside the allowlist, naming it", () => {
    const refused = decideType("application/x-msdownload", "setup.exe", allowed)
    expect(refused).toEqual(Either.left({ _tag: "NotAllowed", detected: "application/x-msdownload" }))
    expect(Either.match(refused, { onLeft: refusalMessage, onRight: () => "" })).toBe(
      "the file's bytes are application/x-msdownload, which is not an allowed attachment type"
    )
    expect(decideType("text/html", "photo.png", allowed)).toEqual(Either.left({ _tag: "NotAllowed", detected: "text/html" }))
    expect(decideType("image/png", "x.png", ["application/pdf"])).toEqual(Either.left({ _tag: "NotAllowed", detected: "image/png" }))
  })

  it("refuses an allowed type its extension contradicts, naming the type found", () => {
    const refused = decideType("application/pdf", "photo.png", allowed)
    expect(refused).toEqual(Either.left({ _tag: "Contradicts", detected: "application/pdf", extension: "png" }))
    expect(Either.match(refused, { onLeft: refusalMessage, onRight: () => "" })).toBe("the file's bytes are application/pdf, which a .png file cannot be")
    expect(Either.isLeft(decideType("text/plain", "data.csv", allowed))).toBe(true)
    expect(Either.isLeft(decideType("application/zip", "report.pdf", allowed))).toBe(true)
  })

  it("labels text downloads as UTF-8", () => {
    expect([servedType("text/plain"), servedType("text/csv"), servedType("image/png")]).toEqual(["text/plain; charset=utf-8", "text/csv; charset=utf-8", "image/png"])
  })
})
