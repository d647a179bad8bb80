/**
 * `Content-Disposition: attachment` for a download (RFC 6266): the browser saves the file and
 * never renders it. The name is given twice: `filename*` in UTF-8, percent-encoded as RFC 8187
 * (formerly 5987) says, which every current browser reads; and `filename`, a plain ASCII
 * stand-in for the rest, with what it cannot say as `_`. Names reaching here are normalised
 * (src/domain/Filename.ts): no control characters, no path.
 */
export const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_")
  // attr-char is ALPHA / DIGIT / "!#$&+-.^_`|~": encodeURIComponent also leaves ' ( ) * alone.
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/**
 * What a download may do if a browser opens it anyway: nothing. No script, style, frame or
 * fetch, and `sandbox` gives it an opaque origin, so an uploaded HTML or SVG never runs as the API.
 */
export const DOWNLOAD_POLICY = "default-src 'none'; sandbox"
