import { crc32 } from "node:zlib"

/**
 * Files for the attachment suites, made here: the smallest bytes each format's signature is
 * recognised by, and the multipart form an upload sends.
 */
export const PNG = new Uint8Array(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64")
)
export const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")
export const TEXT = new TextEncoder().encode("Meeting notes\n- ship attachments\n- ünïcödé is fine\n")
export const HTML = new TextEncoder().encode("<!DOCTYPE html>\n<html><body><script>fetch('/api/v1/me')</script></body></html>\n")
export const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>')

/** A Windows executable's header: `MZ`, then what follows it. */
export const EXE = (() => {
  const bytes = new Uint8Array(256)
  bytes.set([0x4d, 0x5a, 0x90, 0x00, 0x03])
  return bytes
})()

/** `n` bytes of text. */
export const textOf = (n: number): Uint8Array => new Uint8Array(n).fill(0x61)

/** A ZIP archive of the entries, stored (not compressed): `[Content_Types].xml` first makes it an Office document. */
export const zipOf = (entries: ReadonlyArray<readonly [name: string, content: string]>): Uint8Array => {
  const local: Array<Buffer> = []
  const central: Array<Buffer> = []
  let offset = 0
  for (const [name, content] of entries) {
    const n = Buffer.from(name)
    const data = Buffer.from(content)
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt32LE(crc32(data), 14)
    header.writeUInt32LE(data.length, 18)
    header.writeUInt32LE(data.length, 22)
    header.writeUInt16LE(n.length, 26)
    local.push(header, n, data)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE(20, 4)
    entry.writeUInt16LE(20, 6)
    entry.writeUInt32LE(crc32(data), 16)
    entry.writeUInt32LE(data.length, 20)
    entry.writeUInt32LE(data.length, 24)
    entry.writeUInt16LE(n.length, 28)
    entry.writeUInt32LE(offset, 42)
    central.push(entry, n)
    offset += header.length + n.length + data.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return new Uint8Array(Buffer.concat([...local, directory, end]))
}

export const DOCX = zipOf([
  [
    "[Content_Types].xml",
    '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
  ],
  ["word/document.xml", "<w:document/>"]
])

/** The body of an upload: the file as the part `file` (or `field`), labelled with whatever type the client claims. */
export const uploadForm = (filename: string, bytes: Uint8Array, options: { readonly field?: string; readonly claimedType?: string } = {}): FormData => {
  const form = new FormData()
  form.append(options.field ?? "file", new Blob([bytes], { type: options.claimedType ?? "application/octet-stream" }), filename)
  return form
}
