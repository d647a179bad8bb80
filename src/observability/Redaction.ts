/**
 * What the logger does to every message, annotation and cause before writing it: secrets are
 * masked wherever they appear, so a careless `Effect.log(request.headers)` cannot leak a key.
 *
 * - API keys (`fb_<12 hex>_<43 chars>`) anywhere in a string;
 * - credentials after `Bearer` / `Basic`, and the password in `scheme://user:password@host`;
 * - `Authorization`, `Cookie`, `password`, `token`, `secret`, `key` (and `*Password`,
 *   `*Token`, `*Secret`, `apiKey`, …) fields of objects, at any depth;
 * - `Redacted` values.
 */
import { Redacted } from "effect"

export const MASK = "[REDACTED]"

const API_KEY = /fb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/g
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi
const SECRET_ASSIGNMENT = /\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;]+)/gi

const SECRET_FIELD =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|key|passwd|pass|api[_-]?key|access[_-]?key|private[_-]?key)$|(password|secret|token)$/i

export const isSecretField = (name: string): boolean => SECRET_FIELD.test(name)

export const redactString = (text: string): string =>
  text
    .replace(API_KEY, MASK)
    .replace(AUTH_SCHEME, (_, scheme: string) => `${scheme} ${MASK}`)
    .replace(URL_PASSWORD, (_, prefix: string) => `${prefix}:${MASK}@`)
    .replace(SECRET_ASSIGNMENT, (_, name: string, sep: string) => `${name}${sep}${MASK}`)

const MAX_DEPTH = 8

const redactAt = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
  if (typeof value === "string") return redactString(value)
  if (typeof value !== "object" || value === null) return typeof value === "bigint" ? value.toString() : value
  if (Redacted.isRedacted(value)) return MASK
  if (seen.has(value) || depth > MAX_DEPTH) return "[…]"
  seen.add(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), ...redactFields(value, depth, seen) }
  }
  if (Array.isArray(value)) return value.map((item) => redactAt(item, depth + 1, seen))
  if (value instanceof Map) return redactFields(Object.fromEntries(value), depth, seen)
  if ("toJSON" in value && typeof value.toJSON === "function") {
    const plain: unknown = value.toJSON()
    if (plain !== value) return redactAt(plain, depth + 1, seen)
  }
  return redactFields(value, depth, seen)
}

const redactFields = (value: object, depth: number, seen: WeakSet<object>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [field, inner] of Object.entries(value)) {
    out[field] = isSecretField(field) ? MASK : redactAt(inner, depth + 1, seen)
  }
  return out
}

/**
 * A copy of `value` that is safe to log: JSON-friendly (dates as ISO strings, errors as
 * `{ name, message }`, maps as objects, bigints as strings) with every secret masked.
 */
export const redact = (value: unknown): unknown => redactAt(value, 0, new WeakSet())
