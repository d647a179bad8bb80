/**
 * Signing as the Standard Webhooks specification has it (standardwebhooks.com): a secret is
 * `whsec_` and the base64 of 32 random bytes; the HMAC key is those bytes, not the text; a
 * signature is `v1,` and the base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}`,
 * and the header lists one per valid secret, separated by spaces (so a receiver that knows
 * either secret of a rotation verifies). A receiver should compare in constant time and refuse
 * timestamps more than a few minutes old (docs/webhooks.md shows how).
 */
import { createHmac, randomBytes } from "node:crypto"

const PREFIX = "whsec_"

export const newSecret = (): string => PREFIX + randomBytes(32).toString("base64")

/** Enough of a secret to tell two apart in a list, and nothing that helps to forge a signature. */
export const secretPrefix = (secret: string): string => secret.slice(0, PREFIX.length + 4)

const keyOf = (secret: string): Buffer => Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64")

export const signature = (secret: string, id: string, timestamp: number, body: string): string =>
  "v1," + createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")

/** The `webhook-signature` header: one signature per secret, space-separated. */
export const signatureHeader = (secrets: ReadonlyArray<string>, id: string, timestamp: number, body: string): string =>
  secrets.map((secret) => signature(secret, id, timestamp, body)).join(" ")
