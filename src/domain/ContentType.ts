import { Either } from "effect"
import { extensionOf } from "./Filename.js"

/**
 * How an attachment's media type is decided: from its bytes, never from the client's
 * `Content-Type` or name (docs/architecture.md, "Attachments").
 *
 * 1. Formats with a signature (images, PDF, ZIP and the Office formats inside it, executables…)
 *    are recognised by `file-type` from the first bytes (`SNIFF_BYTES`); see `ContentSniffer`.
 * 2. Bytes with no signature are text when the whole file is valid UTF-8 without NUL or other
 *    control characters (TAB, LF, VT, FF, CR and ESC allowed). Text that begins like HTML (the
 *    WHATWG sniffing patterns: `<!DOCTYPE html`, `<html`, `<script`, `<!--`…), SVG or XML is
 *    that, so that markup cannot pass as plain text; other text is `text/plain`, or `text/csv`
 *    when its name ends in `.csv` (the one thing a name may decide: which inert text it is).
 * 3. Anything else is `application/octet-stream`.
 *
 * The type must then be on the allowlist (`ATTACHMENT_TYPES`), and must be one the file's
 * extension allows, when the extension is one we know (`EXTENSION_TYPES`).
 */

export const SNIFF_BYTES = 256 * 1024

export const OCTET_STREAM = "application/octet-stream"
export const TEXT_PLAIN = "text/plain"
export const TEXT_CSV = "text/csv"
export const TEXT_HTML = "text/html"
export const IMAGE_SVG = "image/svg+xml"
export const APPLICATION_XML = "application/xml"

const ZIP = "application/zip"
const CFB = "application/x-cfb"
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
const PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
const ODT = "application/vnd.oasis.opendocument.text"
const ODS = "application/vnd.oasis.opendocument.spreadsheet"
const ODP = "application/vnd.oasis.opendocument.presentation"

/** `ATTACHMENT_TYPES` unset: images, PDF, text, CSV, ZIP and office documents (legacy `.doc`/`.xls`/`.ppt` are CFB). */
export const DEFAULT_ALLOWED_TYPES: ReadonlyArray<string> = [
  "image/png",
  "image/apng",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  TEXT_PLAIN,
  TEXT_CSV,
  ZIP,
  DOCX,
  XLSX,
  PPTX,
  ODT,
  ODS,
  ODP,
  CFB
]

/**
 * The types a known extension allows. An OOXML or ODF file is a ZIP whose first entries name
 * what it is; one whose telling entry lies beyond the sniffed bytes is found to be a plain ZIP,
 * which such an extension therefore also allows. Unknown extensions allow any (allowed) type.
 */
export const EXTENSION_TYPES: Readonly<Record<string, ReadonlyArray<string>>> = {
  png: ["image/png", "image/apng"],
  apng: ["image/apng"],
  jpg: ["image/jpeg"],
  jpeg: ["image/jpeg"],
  jpe: ["image/jpeg"],
  jfif: ["image/jpeg"],
  gif: ["image/gif"],
  webp: ["image/webp"],
  pdf: ["application/pdf"],
  txt: [TEXT_PLAIN],
  text: [TEXT_PLAIN],
  log: [TEXT_PLAIN],
  md: [TEXT_PLAIN],
  csv: [TEXT_CSV],
  zip: [ZIP],
  docx: [DOCX, ZIP],
  xlsx: [XLSX, ZIP],
  pptx: [PPTX, ZIP],
  odt: [ODT, ZIP],
  ods: [ODS, ZIP],
  odp: [ODP, ZIP],
  doc: [CFB],
  xls: [CFB],
  ppt: [CFB],
  html: [TEXT_HTML],
  htm: [TEXT_HTML],
  svg: [IMAGE_SVG, APPLICATION_XML],
  xml: [APPLICATION_XML],
  exe: ["application/x-msdownload"],
  dll: ["application/x-msdownload"]
}

// ---- text ----------------------------------------------------------------------------------

/** Bytes that never occur in text: NUL and the C0 controls but TAB, LF, VT, FF, CR, ESC; and DEL. */
const isControl = (byte: number): boolean => (byte < 0x20 && !(byte >= 0x09 && byte <= 0x0d) && byte !== 0x1b) || byte === 0x7f

/**
 * Whether a stream of bytes is text, fed a chunk at a time: valid UTF-8 (a sequence split across
 * chunks is fine), no control bytes. `done()` also catches a sequence cut off at the end.
 */
export const textScanner = () => {
  const decoder = new TextDecoder("utf-8", { fatal: true })
  let text = true
  return {
    push: (chunk: Uint8Array): void => {
      if (!text) return
      if (chunk.some(isControl)) {
        text = false
        return
      }
      try {
        decoder.decode(chunk, { stream: true })
      } catch {
        text = false
      }
    },
    /** Whether everything so far is text. */
    get isText(): boolean {
      return text
    },
    /** Whether the whole stream was text; call once, after the last chunk. */
    done: (): boolean => {
      if (!text) return false
      try {
        decoder.decode()
        return true
      } catch {
        text = false
        return false
      }
    }
  }
}
export type TextScanner = ReturnType<typeof textScanner>

/** WHATWG MIME Sniffing's HTML patterns (§7.1), each followed by a space, `>` (or, here, `/` or a line break). */
const HTML = /^<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)(?=[\s/>])|^<!--/i

/**
 * Markup in text that must not pass for plain text: HTML, SVG, XML. Looks at the start of the
 * text, after a byte-order mark and white space, as browsers do when they sniff.
 */
export const markupType = (head: string): string | undefined => {
  const start = head.replace(/^\ufeff/, "").trimStart()
  if (!start.startsWith("<")) return undefined
  if (HTML.test(start)) return TEXT_HTML
  if (/<svg[\s/>]/i.test(start.slice(0, 4096))) return IMAGE_SVG
  if (/^<\?xml[\s?]/i.test(start)) return APPLICATION_XML
  return undefined
}

/**
 * The type of bytes without a recognised signature: `isText` from a `textScanner` that saw them
 * all, `head` their first bytes, `filename` to tell CSV from other text.
 */
export const typeOfUnsigned = (isText: boolean, head: Uint8Array, filename: string): string => {
  if (!isText) return OCTET_STREAM
  const markup = markupType(new TextDecoder("utf-8").decode(head.subarray(0, 4096)))
  if (markup !== undefined) return markup
  return extensionOf(filename) === "csv" ? TEXT_CSV : TEXT_PLAIN
}

// ---- the decision --------------------------------------------------------------------------

/** Why a type is refused; both name the type found in the bytes. */
export type TypeRefusal =
  | { readonly _tag: "NotAllowed"; readonly detected: string }
  | { readonly _tag: "Contradicts"; readonly detected: string; readonly extension: string }

/** The detected type, if the allowlist has it and the name's extension does not say otherwise. */
export const decideType = (detected: string, filename: string, allowed: ReadonlyArray<string>): Either.Either<string, TypeRefusal> => {
  const type = detected.toLowerCase()
  if (!allowed.includes(type)) return Either.left({ _tag: "NotAllowed", detected: type })
  const extension = extensionOf(filename)
  const expected = EXTENSION_TYPES[extension]
  if (expected !== undefined && !expected.includes(type)) return Either.left({ _tag: "Contradicts", detected: type, extension })
  return Either.right(type)
}

export const refusalMessage = (refusal: TypeRefusal): string =>
  refusal._tag === "NotAllowed"
    ? `the file's bytes are ${refusal.detected}, which is not an allowed attachment type`
    : `the file's bytes are ${refusal.detected}, which a .${refusal.extension} file cannot be`

/** What a download says it is: text is UTF-8, as the upload proved. */
export const servedType = (type: string): string => (type.startsWith("text/") ? `${type}; charset=utf-8` : type)

/** A media type as the allowlist takes it: `type/subtype`, lower case, no parameters. */
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/
