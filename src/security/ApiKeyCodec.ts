import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * API keys look like `fb_<prefix>_<secret>`: the prefix (12 hex chars) finds the stored row,
 * the secret (32 random bytes, 256 bits, base64url) is never stored — only its SHA-256 digest,
 * compared in constant time.
 */
const KEY_PATTERN = /^fb_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/

export interface GeneratedKey {
  readonly token: string
  readonly prefix: string
  readonly secretHash: string
}

export const digest = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex")

export const generate = (): GeneratedKey => {
  const prefix = randomBytes(6).toString("hex")
  const secret = randomBytes(32).toString("base64url")
  return { token: `fb_${prefix}_${secret}`, prefix, secretHash: digest(secret) }
}

export const parse = (token: string): { readonly prefix: string; readonly secret: string } | null => {
  const match = KEY_PATTERN.exec(token)
  return match === null ? null : { prefix: match[1]!, secret: match[2]! }
}

export const verify = (secret: string, storedHash: string): boolean => {
  const presented = Buffer.from(digest(secret), "hex")
  const stored = Buffer.from(storedHash, "hex")
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}
