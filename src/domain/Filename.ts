/**
 * What an uploaded file is called here. The name is only ever shown and offered back on
 * download: storage addresses content by the attachment's id, never by this name.
 */

/** Characters, not UTF-16 units, so that a cut never splits a surrogate pair. */
export const MAX_FILENAME_LENGTH = 200

/** The name of a file whose own name normalises to nothing. */
export const FALLBACK_FILENAME = "attachment"

/** The longest extension kept whole when a long name is shortened. */
const MAX_EXTENSION_LENGTH = 16

/**
 * C0 and C1 controls and DEL; the bidirectional overrides and isolates (`report\u202Efdp.exe`
 * reads as `reportexe.pdf`); lone surrogates, which no database text column stores.
 */
const UNWANTED = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * The name as stored: its last segment after `/` or `\` (a client's path says nothing to us,
 * and `../../etc/passwd` is `passwd`), Unicode NFC, without the characters above, without
 * surrounding white space and trailing dots (Windows drops them, so `x.exe.` is `x.exe`), at
 * most `MAX_FILENAME_LENGTH` characters with its extension kept, and never empty, `.` or `..`.
 */
export const normaliseFilename = (raw: string): string => {
  const segment = raw.split(/[/\\]/).pop() ?? ""
  const cleaned = segment.replace(UNWANTED, "").normalize("NFC").trim().replace(/[. ]+$/, "")
  const shortened = shorten(cleaned)
  return shortened === "" || shortened === "." || shortened === ".." ? FALLBACK_FILENAME : shortened
}

const shorten = (name: string): string => {
  const chars = Array.from(name)
  if (chars.length <= MAX_FILENAME_LENGTH) return name
  const dot = name.lastIndexOf(".")
  const extension = dot > 0 ? Array.from(name.slice(dot)) : []
  const keep = extension.length > 0 && extension.length <= MAX_EXTENSION_LENGTH ? extension : []
  return (chars.slice(0, MAX_FILENAME_LENGTH - keep.length).join("").trimEnd() + keep.join("")).normalize("NFC")
}

/** The extension of a name, lower-cased, without its dot; `""` when it has none. */
export const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf(".")
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : ""
}
