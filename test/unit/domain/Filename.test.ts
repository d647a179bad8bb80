import { describe, expect, it } from "@effect/vitest"
import { extensionOf, FALLBACK_FILENAME, MAX_FILENAME_LENGTH, normaliseFilename } from "../../../src/domain/Filename.js"
import { contentDisposition } from "../../../src/http/ContentDisposition.js"

describe("normaliseFilename", () => {
  it("keeps only the last segment after / or \\", () => {
    expect(normaliseFilename("../../etc/passwd")).toBe("passwd")
    expect(normaliseFilename("..\\..\\Windows\\System32\\drivers\\etc\\hosts")).toBe("hosts")
    expect(normaliseFilename("C:\\Users\\ada\\Desktop\\plan.pdf")).toBe("plan.pdf")
    expect(normaliseFilename("/absolute/path/to/report.txt")).toBe("report.txt")
    expect(normaliseFilename("mixed/..\\name.txt")).toBe("name.txt")
  })

  it("removes control characters, bidirectional overrides and lone surrogates", () => {
    expect(normaliseFilename("re\u0000po\u001frt\u007f.txt")).toBe("report.txt")
    expect(normaliseFilename("line\r\nbreak.txt")).toBe("linebreak.txt")
    expect(normaliseFilename("a\u0085b.txt")).toBe("ab.txt")
    // "invoice\u202Efdp.exe" shows as "invoiceexe.pdf".
    expect(normaliseFilename("invoice\u202Efdp.exe")).toBe("invoicefdp.exe")
    expect(normaliseFilename("x\u2066y\u2069.txt")).toBe("xy.txt")
    expect(normaliseFilename("a\ud800b.txt")).toBe("ab.txt")
    expect(normaliseFilename("smile\ud83d\ude00.txt")).toBe("smile\ud83d\ude00.txt")
  })

  it("composes to Unicode NFC", () => {
    const decomposed = "Cafe\u0301.txt"
    expect(normaliseFilename(decomposed)).toBe("Caf\u00e9.txt")
    expect(normaliseFilename(decomposed).length).toBe(8)
  })

  it("drops surrounding white space and trailing dots", () => {
    expect(normaliseFilename("  notes.txt  ")).toBe("notes.txt")
    expect(normaliseFilename("setup.exe. . .")).toBe("setup.exe")
    expect(normaliseFilename(".profile")).toBe(".profile")
  })

  it("is never empty, . or ..", () => {
    for (const name of ["", "   ", "/", "a/", "..", ".", "...", "\u0000\u0001", "\u202e"]) {
      expect({ name, kept: normaliseFilename(name) }).toEqual({ name, kept: FALLBACK_FILENAME })
    }
  })

  it("cuts a long name to the limit in characters, keeping its extension and whole surrogate pairs", () => {
    const long = `${"a".repeat(300)}.pdf`
    const kept = normaliseFilename(long)
    expect(kept.length).toBe(MAX_FILENAME_LENGTH)
    expect(kept.endsWith(".pdf")).toBe(true)
    const emoji = normaliseFilename(`${"\ud83d\ude00".repeat(250)}.png`)
    expect(Array.from(emoji).length).toBe(MAX_FILENAME_LENGTH)
    expect(emoji.endsWith("\ud83d\ude00.png")).toBe(true)
    // An "extension" longer than an extension is just part of the name.
    expect(Array.from(normaliseFilename(`a.${"b".repeat(300)}`)).length).toBe(MAX_FILENAME_LENGTH)
    expect(normaliseFilename("x".repeat(MAX_FILENAME_LENGTH))).toBe("x".repeat(MAX_FILENAME_LENGTH))
  })

  it("reads extensions lower-cased, and none from a leading dot or a trailing one", () => {
    expect(["a.PNG", "archive.tar.gz", ".bashrc", "README", "x."].map(extensionOf)).toEqual(["png", "gz", "", "", ""])
  })
})

describe("contentDisposition", () => {
  it("says attachment, with an ASCII stand-in and the UTF-8 name as filename* (RFC 6266, RFC 8187)", () => {
    expect(contentDisposition("passwd")).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`)
    expect(contentDisposition("Überblick – März.pdf")).toBe(
      `attachment; filename="_berblick _ M_rz.pdf"; filename*=UTF-8''%C3%9Cberblick%20%E2%80%93%20M%C3%A4rz.pdf`
    )
    // Quotes, backslashes and percent signs never reach the quoted form; ' ( ) * are not attr-chars.
    expect(contentDisposition(`a"b\\c%d'e(f)*.txt`)).toBe(`attachment; filename="a_b_c_d'e(f)*.txt"; filename*=UTF-8''a%22b%5Cc%25d%27e%28f%29%2A.txt`)
  })
})
