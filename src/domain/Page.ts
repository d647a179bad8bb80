import { Schema } from "effect"

/** Keyset pagination: the cursor is opaque to clients (base64url of the last id seen). */
/** A decimal integer from 1 to 200, written plainly (no sign, exponent or leading zero). */
export const Limit = Schema.compose(
  Schema.String.pipe(Schema.pattern(/^(?:[1-9][0-9]?|1[0-9]{2}|200)$/, { message: () => "must be a whole number from 1 to 200" })).annotations({
    description: "Items per page, 1 to 200 (default 50)"
  }),
  Schema.NumberFromString
).pipe(Schema.between(1, 200, { message: () => "must be a whole number from 1 to 200" }))
export const DEFAULT_LIMIT = 50

export interface PageRequest {
  readonly limit: number
  readonly after: string | null
}

export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

export const encodeCursor = (id: string): string => Buffer.from(id, "utf8").toString("base64url")
export const decodeCursor = (cursor: string): string | null => {
  const id = Buffer.from(cursor, "base64url").toString("utf8")
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : null
}

/** Build a page from `limit + 1` rows fetched in id order. */
export const toPage = <A extends { readonly id: string }>(rows: ReadonlyArray<A>, limit: number): Page<A> => {
  const items = rows.slice(0, limit)
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null }
}
